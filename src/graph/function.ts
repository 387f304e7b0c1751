/**
 * A serving function (MLRun's `new_function(kind="serving")`): a graph spec plus function parameters.
 * Build it in-process with toMockServer() (tests) or toGraphServer(), or serve it over HTTP with serve().
 */
import { InvalidOptionError } from '../errors';
import { GraphServer } from '../server/graph-server';
import { MockServer } from '../server/mock-server';
import { createContext, type ServingLogger, type TrackingRecord } from './context';
import type { Namespace } from './registry';
import { RouterSpec } from './topology';
import type { StepClass, StepDict, StepSpec } from './step';

export type Topology = 'router';

export interface FunctionOptions {
  /** Function-level parameters: the last place getParam() looks. */
  parameters?: Record<string, unknown>;
}

export interface BuildOptions {
  /** Classes referred to by name in the specs (looked up before the registry). */
  namespace?: Namespace;
  /** Default: warnings and errors to the console. */
  logger?: ServingLogger;
  /** Receives a tracking record after each predict/explain (model monitoring). */
  monitor?: (record: TrackingRecord) => void;
}

/** The spec of one model route: `className` and `modelPath`, every other key a class argument. */
export interface ModelRouteSpec extends StepSpec {
  className?: string | StepClass;
  modelPath?: string;
}

/** What `serve()` in src/server/http.ts exports; loaded lazily so the graph does not depend on fastify. */
type ServeModule = { serve(server: GraphServer, options: Record<string, unknown>): unknown };

export class ServingFunction {
  readonly parameters: Record<string, unknown>;
  private graph: RouterSpec | undefined;

  constructor(
    readonly name: string,
    options: FunctionOptions = {},
  ) {
    this.parameters = { ...(options.parameters ?? {}) };
  }

  /** The graph spec (undefined until setTopology() or addModel()). */
  get spec(): RouterSpec | undefined {
    return this.graph;
  }

  /**
   * Sets the graph's topology: 'router' with `{ className?, ...classArgs }` (default ModelRouter).
   * Setting it again needs `existOk`. Returns the graph spec.
   */
  setTopology(kind: Topology, spec: StepSpec = {}, options: { existOk?: boolean } = {}): RouterSpec {
    if (this.graph && !options.existOk) {
      throw new InvalidOptionError('graph topology is already set, cannot be overwritten');
    }
    if (kind !== 'router') throw new InvalidOptionError(`unsupported topology ${String(kind)}; use 'router'`);
    this.graph = new RouterSpec(spec);
    return this.graph;
  }

  /** Adds a model route under `key` ('name' or 'name:version'); sets the router topology if none is set. */
  addModel(key: string, spec: ModelRouteSpec): StepSpec {
    const graph = this.graph ?? this.setTopology('router');
    return graph.addRoute(key, { ...spec });
  }

  /** MLRun-style dict: `{kind: 'serving', metadata: {name}, spec: {parameters, graph}}`. */
  toDict(): {
    kind: string;
    metadata: { name: string };
    spec: { parameters: Record<string, unknown>; graph?: StepDict };
  } {
    const spec: { parameters: Record<string, unknown>; graph?: StepDict } = { parameters: { ...this.parameters } };
    if (this.graph) spec.graph = this.graph.toDict();
    return { kind: 'serving', metadata: { name: this.name }, spec };
  }

  /** Builds the graph (loading 'sync' models; a load failure rejects) and wraps it in a GraphServer. */
  async toGraphServer(options: BuildOptions = {}): Promise<GraphServer> {
    if (!this.graph) {
      throw new InvalidOptionError('no models or steps were set, use setTopology() and add steps');
    }
    const context = createContext({
      functionName: this.name,
      parameters: this.parameters,
      logger: options.logger,
      monitor: options.monitor,
    });
    const root = await this.graph.build(options.namespace ?? {}, context);
    return new GraphServer(root, context);
  }

  /** An in-process server for tests: `await server.test('/v2/models/m1/infer', { inputs: [5] })`. */
  async toMockServer(options: BuildOptions = {}): Promise<MockServer> {
    return new MockServer(await this.toGraphServer(options));
  }

  /**
   * Builds the graph and serves it over HTTP (src/server/http.ts): `http` goes to its serve() as it is
   * ({host, port, bodyLimit, logger}), `build` to toGraphServer(). Resolves to what serve() returns.
   */
  async serve(http: Record<string, unknown> = {}, build: BuildOptions = {}): Promise<unknown> {
    const graphServer = await this.toGraphServer(build);
    // Loaded lazily: building and testing graphs must not need the HTTP stack.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const httpModule = require('../server/http') as ServeModule;
    return httpModule.serve(graphServer, http);
  }
}

/** A new serving function. */
export function newFunction(name: string, options: FunctionOptions = {}): ServingFunction {
  return new ServingFunction(name, options);
}
