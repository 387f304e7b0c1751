/**
 * Class lookup for step specs: a spec's `className` is a constructor, or a name looked up first in
 * the namespace given to toMockServer()/toGraphServer(), then in the process-wide registry.
 * A leading '*' marks a router class; '*' alone is ModelRouter. Built-in classes register themselves
 * where they are defined.
 */
import { InvalidOptionError } from '../errors';
import type { StepClass } from './step';

/** Names → classes, as users pass them: `{ MyModel }`. */
export type Namespace = Readonly<Record<string, unknown>>;

const registry = new Map<string, StepClass>();

/** Makes a class known by name to every graph in the process (built-ins and libraries register here). */
export function registerClass(name: string, cls: StepClass): void {
  registry.set(name, cls);
}

/** The registered class of that name, if any. */
export function registeredClass(name: string): StepClass | undefined {
  return registry.get(name);
}

/** The class names a reference may use: the namespace's classes, then the registry's, sorted, each once. */
export function knownClasses(namespace: Namespace = {}): string[] {
  const own = Object.keys(namespace).filter((key) => typeof namespace[key] === 'function');
  return [...new Set([...own, ...registry.keys()])].sort();
}

/**
 * Resolves a class reference. `fallback` is used when `ref` is undefined. Throws InvalidOptionError
 * when a name is found neither in the namespace nor in the registry, or is not a class.
 */
export function resolveClass(
  ref: string | StepClass | undefined,
  namespace: Namespace = {},
  fallback?: StepClass,
): StepClass {
  if (typeof ref === 'function') return ref;
  if (ref === undefined || ref === '' || ref === '*') {
    if (ref === '*') return resolveClass('ModelRouter', {});
    if (fallback) return fallback;
    throw new InvalidOptionError('a step needs a className');
  }
  const name = ref.startsWith('*') ? ref.slice(1) : ref;
  // MLRun writes its own classes by module path (mlrun.serving.VotingEnsemble, mlrun.serving.remote.RemoteStep).
  const builtIn = name.startsWith('mlrun.') ? registry.get(name.slice(name.lastIndexOf('.') + 1)) : undefined;
  const found = Object.prototype.hasOwnProperty.call(namespace, name)
    ? namespace[name]
    : (registry.get(name) ?? builtIn);
  if (found === undefined) {
    throw new InvalidOptionError(
      `class ${name} was not found in the namespace or registry; known classes: ${knownClasses(namespace).join(', ')}`,
    );
  }
  if (typeof found !== 'function') throw new InvalidOptionError(`${name} in the namespace is not a class`);
  return found as StepClass;
}
