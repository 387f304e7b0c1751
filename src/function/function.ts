/**
 * A serving function (MLRun's `new_function(kind="serving")`): a graph spec plus function parameters.
 * Build it in-process with toMockServer() (tests) or toGraphServer(), or serve it over HTTP with serve().
 */
import { InvalidOptionError } from '../errors';
import { GraphServer, type GraphServerOptions } from '../graph-server/graph-server';
import { MockServer } from '../server/mock-server';
import { consoleLogger, createContext, type ServingLogger, type TrackingRecord } from '../step/context';
import { parseStreamUrl, StreamPool } from '../streams';
import { checkTracking, startSideOutputs, type SideStreams, type TrackingOptions } from './side-streams';
import { FlowSpec } from '../graph/flow/spec';
import { graphFromDict, type FunctionDict } from '../graph/flow/dict';
import type { FlowDict, FlowOptions, StepHandler, TaskClass } from '../graph/flow/types';
import type { Namespace } from '../step/registry';
import { RouterSpec } from '../graph/topology';
import type { StepClass, StepDict, StepSpec } from '../step/step';
import { isStepInstance, specOfInstance, type StepInstance } from '../step/instance';
import type { HttpOptions, RunningServer } from '../server/http/http';

export type Topology = 'router' | 'flow';

export interface FunctionOptions {
  /** Function-level parameters: the last place getParam() looks. */
  parameters?: Record<string, unknown>;
}

/** How to build the graph, and the GraphServer's own options (requestTimeout, offThreadJson). */
export interface BuildOptions extends GraphServerOptions {
  /** Classes referred to by name in the specs (looked up before the registry). */
  namespace?: Namespace;
  /** Default: warnings and errors to the console. */
  logger?: ServingLogger;
  /** Receives a tracking record after each predict/explain (model monitoring; replaces setTracking's stream). */
  monitor?: (record: TrackingRecord) => void;
  /**
   * Which function's part of a multi-function graph to build (src/graph/flow/functions.ts): '' the root
   * (default of toGraphServer/serve), '*' every step with in-process queues (default of toMockServer), or a
   * function name (the part after the stream queue that feeds it).
   */
  currentFunction?: string;
}

/**
 * The spec of one model route: `className` and `modelPath`, every other key a class argument. A route
 * may also be a class with `do(body)` or a `handler` function of the body (MLRun allows both).
 */
export interface ModelRouteSpec extends Omit<StepSpec, 'className' | 'handler'> {
  className?: string | StepClass | TaskClass;
  handler?: string | StepHandler;
  modelPath?: string;
  /** In a flow with several routers: the name of the router step to add the model to. */
  routerStep?: string;
}

/** What `serve()` in src/server/http/http.ts exports; loaded lazily so the graph does not depend on fastify. */
type ServeModule = { serve(server: GraphServer, options: HttpOptions): Promise<RunningServer> };

export class ServingFunction {
  readonly parameters: Record<string, unknown>;
  private graph: RouterSpec | FlowSpec | undefined;
  /** The error and tracking streams (setErrorStream, setTracking). */
  readonly sideStreams: SideStreams = {};
  /** A stream of request bodies `graphserve serve` consumes beside HTTP (spec `source`; --source wins). */
  source: string | undefined;

  constructor(
    readonly name: string,
    options: FunctionOptions = {},
  ) {
    this.parameters = { ...(options.parameters ?? {}) };
  }

  /** The graph spec (undefined until setTopology() or addModel()). */
  get spec(): RouterSpec | FlowSpec | undefined {
    return this.graph;
  }

  /**
   * Sets the graph's topology: 'router' with `{ className?, ...classArgs }` (default ModelRouter), or
   * 'flow' with `{ engine: 'async' | 'sync' }` (default async; see FlowSpec). Setting it again needs
   * `existOk`. Returns the graph spec.
   */
  setTopology(kind: 'router', spec?: StepSpec, options?: { existOk?: boolean }): RouterSpec;
  setTopology(kind: 'flow', spec?: FlowOptions, options?: { existOk?: boolean }): FlowSpec;
  setTopology(kind: Topology, spec: StepSpec | FlowOptions = {}, options: { existOk?: boolean } = {}) {
    if (this.graph && !options.existOk) {
      throw new InvalidOptionError('graph topology is already set, cannot be overwritten');
    }
    if (kind === 'flow') this.graph = new FlowSpec(spec as FlowOptions);
    else if (kind === 'router') this.graph = new RouterSpec(spec as StepSpec);
    else throw new InvalidOptionError(`unsupported topology ${String(kind)}; use 'router' or 'flow'`);
    return this.graph;
  }

  /**
   * Adds a model route under `key` ('name' or 'name:version'): to the router topology (set if none
   * is), or to the router step of a flow (`routerStep` names it when the flow has several). `spec` may
   * be a model instance (`new OnnxModelServer({...})`): it serves as it is (src/step/instance.ts).
   */
  addModel(key: string, spec: ModelRouteSpec | StepInstance): StepSpec {
    const { routerStep, ...rest } = (isStepInstance(spec) ? specOfInstance(spec) : spec) as ModelRouteSpec;
    const route = rest as StepSpec; // do-classes and handlers are wrapped as routes (src/graph/route-step.ts)
    const graph = this.graph ?? this.setTopology('router');
    if (graph instanceof RouterSpec) return graph.addRoute(key, route);
    return flowRouter(graph, routerStep).addRoute(key, route);
  }

  /** Publishes every step failure (step, error, event id and body) to `url` (kafka://… or redis://…). */
  setErrorStream(url: string): void {
    parseStreamUrl(url);
    this.sideStreams.errorStream = url;
  }

  /** Model monitoring: tracking records of every `sample`-th request, `batch` per message, to `streamPath`. */
  setTracking(options: TrackingOptions): void {
    const tracking = checkTracking(options);
    parseStreamUrl(tracking.streamPath);
    this.sideStreams.tracking = tracking;
  }

  /** Replaces the graph with a loaded one (functionFromDict()). */
  setGraph(graph: RouterSpec | FlowSpec): void {
    this.graph = graph;
  }

  /** MLRun-style dict: `{kind: 'serving', metadata: {name}, spec: {parameters, graph}}`. */
  toDict(): {
    kind: string;
    metadata: { name: string };
    spec: { parameters: Record<string, unknown>; graph?: StepDict | FlowDict };
  } {
    const spec: { parameters: Record<string, unknown>; graph?: StepDict | FlowDict } = {
      parameters: { ...this.parameters },
    };
    if (this.graph) spec.graph = this.graph.toDict();
    const { errorStream, tracking } = this.sideStreams;
    if (errorStream !== undefined) Object.assign(spec, { error_stream: errorStream });
    if (this.source !== undefined) Object.assign(spec, { source: this.source });
    if (tracking) {
      const { streamPath, sample, batch } = tracking;
      Object.assign(spec, { tracking: { stream_path: streamPath, sample, batch } });
    }
    return { kind: 'serving', metadata: { name: this.name }, spec };
  }

  /** Builds the graph (loading 'sync' models; a load failure rejects) and wraps it in a GraphServer. */
  async toGraphServer(options: BuildOptions = {}): Promise<GraphServer> {
    if (!this.graph) {
      throw new InvalidOptionError('no models or steps were set, use setTopology() and add steps');
    }
    const streams = new StreamPool();
    try {
      const sides = await startSideOutputs(streams, this.sideStreams, this.name, options.logger ?? consoleLogger);
      const context = createContext({
        functionName: this.name,
        parameters: this.parameters,
        logger: options.logger,
        monitor: options.monitor ?? sides.monitor,
      });
      const flow = { currentFunction: options.currentFunction ?? '', streams, onStepError: sides.onStepError };
      const namespace = options.namespace ?? {};
      const graph = this.graph;
      const root =
        graph instanceof FlowSpec ? await graph.build(namespace, context, flow) : await graph.build(namespace, context);
      const { requestTimeout, offThreadJson } = options;
      const server = new GraphServer(root, context, { requestTimeout, offThreadJson });
      server.onClose(async () => {
        await sides.flush();
        await streams.close();
      });
      return server;
    } catch (err) {
      await streams.close();
      throw err;
    }
  }

  /** An in-process server for tests: `await server.test('/v2/models/m1/infer', { inputs: [5] })`. */
  async toMockServer(options: BuildOptions = {}): Promise<MockServer> {
    return new MockServer(await this.toGraphServer({ ...options, currentFunction: options.currentFunction ?? '*' }));
  }

  /**
   * Builds the graph and serves it over HTTP (src/server/http/http.ts): `http` goes to its serve() as it is
   * ({host, port, bodyLimit, logger}), `build` to toGraphServer(). Resolves to what serve() returns.
   */
  async serve(http: HttpOptions = {}, build: BuildOptions = {}): Promise<RunningServer> {
    const graphServer = await this.toGraphServer(build);
    // Loaded lazily: building and testing graphs must not need the HTTP stack.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const httpModule = require('../server/http/http') as ServeModule;
    return httpModule.serve(graphServer, http);
  }
}

/** The router step of a flow for addModel(): the named one, or the only one. */
function flowRouter(flow: FlowSpec, name: string | undefined) {
  if (name !== undefined) {
    const step = flow.steps.get(name);
    if (step?.kind !== 'router') throw new InvalidOptionError(`router step ${name} was not found in the flow`);
    return step;
  }
  const routers = flow.routers();
  if (routers.length === 0) {
    throw new InvalidOptionError('the flow does not contain any router: add one (className "*") before addModel()');
  }
  if (routers.length > 1) {
    throw new InvalidOptionError(`found ${routers.length} routers, please specify the routerStep`);
  }
  return routers[0]!;
}

/** A serving function loaded from its dict (toDict(), or parsed YAML/JSON: see parseGraphText()). */
export function functionFromDict(dict: FunctionDict): ServingFunction {
  const fn = new ServingFunction(dict.metadata?.name ?? 'graphserve', { parameters: dict.spec?.parameters });
  setSideStreamsFromDict(fn, dict.spec as Record<string, unknown> | undefined);
  if (dict.spec?.graph) fn.setGraph(graphFromDict(dict.spec.graph));
  return fn;
}

/** A new serving function. */
export function newFunction(name: string, options: FunctionOptions = {}): ServingFunction {
  return new ServingFunction(name, options);
}

/** A spec's `error_stream`, `tracking` ({stream_path, sample, batch}, MLRun's names) and `source`. */
function setSideStreamsFromDict(fn: ServingFunction, spec: Record<string, unknown> | undefined): void {
  const errorStream = spec?.['error_stream'];
  if (typeof errorStream === 'string' && errorStream !== '') fn.setErrorStream(errorStream);
  const source = spec?.['source'];
  if (typeof source === 'string' && source !== '') fn.source = source;
  const tracking = spec?.['tracking'] as { stream_path?: string; sample?: number; batch?: number } | undefined;
  if (tracking && typeof tracking === 'object') {
    fn.setTracking({ streamPath: tracking.stream_path ?? '', sample: tracking.sample, batch: tracking.batch });
  }
}
