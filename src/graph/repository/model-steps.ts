/**
 * The steps of repository models: building one version's step, starting a model's steps and waiting for
 * their loads, and retiring steps (waiting, bounded, for their requests in flight, then freeing them).
 */
import { FailedModel } from '../../model/failed-model';
import type { RepositoryModel } from '../../model/model-repository';
import '../../model/onnx-model-server';
import type { ServingContext, ServingLogger } from '../../step/context';
import type { Namespace } from '../../step/registry';
import type { GraphStep } from '../../step/step';
import { buildStep } from '../topology';
import type { CounterBook } from './route-counters';

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function isStepReady(step: GraphStep): boolean {
  return step.isReady?.() ?? true;
}

/** A model's report label: 'name', or 'name (version v)'. */
export function labelOf(model: Pick<RepositoryModel, 'key' | 'version'>): string {
  return model.version ? `${model.key} (version ${model.version})` : model.key;
}

/** One version's step, loading in the background; a FailedModel when its class cannot be built. */
export function buildModelStep(model: RepositoryModel, namespace: Namespace, context: ServingContext): GraphStep {
  try {
    return buildStep({ ...model.spec, loadMode: 'async' }, model.spec.name, namespace, context);
  } catch (err) {
    return new FailedModel({ name: model.spec.name, error: err });
  }
}

/** Runs each step's postInit and waits for the loads: the first failure's message, or undefined when all are ready. */
export async function startSteps(steps: GraphStep[]): Promise<string | undefined> {
  try {
    for (const step of steps) await step.postInit?.();
    await Promise.all(steps.map((step) => step.whenSettled?.()));
  } catch (err) {
    return messageOf(err);
  }
  return notReadyReason(steps);
}

/** Why the first step that is not ready is not (its load error), or undefined when all are ready. */
export function notReadyReason(steps: Iterable<GraphStep>): string | undefined {
  for (const step of steps) {
    if (!isStepReady(step)) return messageOf((step as { error?: unknown }).error ?? 'not ready');
  }
  return undefined;
}

/** Frees every step that holds resources (each once). */
export async function disposeSteps(steps: Iterable<GraphStep>): Promise<void> {
  await Promise.allSettled([...new Set(steps)].map((step) => (step as { dispose?(): Promise<void> }).dispose?.()));
}

/**
 * Waits until no request is in flight on each step (at most `timeoutMs`; then a warning), then frees it.
 * Engine sessions settle their own queued requests when freed (InferenceSession.dispose).
 */
export async function retireSteps(
  steps: Iterable<GraphStep>,
  counters: CounterBook,
  timeoutMs: number,
  logger: ServingLogger,
): Promise<void> {
  await Promise.all(
    [...new Set(steps)].map(async (step) => {
      if (!(await counters.of(step).drained(timeoutMs))) {
        logger.warn(`model ${step.name}: requests still running after ${timeoutMs / 1000} s; freeing it`);
      }
      await (step as { dispose?(): Promise<void> }).dispose?.();
    }),
  );
}
