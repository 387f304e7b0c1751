/**
 * FlowRunner: a built flow graph, run as one GraphStep by GraphServer.
 *
 * Async engine: every start step gets the event; a step's output goes to each of its next steps, the
 * first getting it as it is and the others a deep copy, and branches run concurrently. With a
 * responder, doEvent resolves to the responder's output, or rejects with the first unhandled error of
 * any branch, whichever comes first. Without one, doEvent resolves at once to `{id}` and the flow
 * runs on. Errors nobody can answer any more are logged and kept: whenSettled() (so
 * GraphServer.waitForCompletion()) drains every event in flight, then rejects with them.
 *
 * Sync engine: one start step, no branches; steps run one after the other and the response is the
 * responder's output if there is one, else the last step's.
 *
 * Errors: a failing step's handler (else the graph's) gets the event the step failed on with
 * `origin_state` (the step's name) and `error` (the Error object, in both engines); the handler's
 * output goes to the steps after it, or responds. An error inside an error handler is not handled
 * again.
 */
import { GraphError, toGraphServeError } from '../../errors';
import type { Event } from '../../event';
import type { ServingContext } from '../../step/context';
import { cloneEvent } from './clone';
import { flowToDot } from './plot';
import type { FlowSpec } from './spec';
import { buildNode, type Lifecycle, type RunEvent } from './task';
import type { FlowDict, FlowEngine } from './types';
import { nextSteps } from './validate';
import { ALL_FUNCTIONS, functionPart, streamPathOf } from './functions';
import type { FlowBuildOptions, StepFailure } from './stream-queue';
import type { Namespace } from '../../step/registry';
import type { GraphStep } from '../../step/step';

interface RuntimeNode {
  name: string;
  run: RunEvent;
  next: RuntimeNode[];
  /** This step's error handler, or the graph's (never set on error handlers themselves). */
  onError: RuntimeNode | undefined;
  /** Its output is the response: the responder, or an error handler with nothing after it. */
  responds: boolean;
  object: Lifecycle | undefined;
}

/** A deferred response of one event: settled once, by the responder or the first error. */
interface Reply {
  settled: boolean;
  resolve(body: unknown): void;
  reject(err: unknown): void;
  /** runToEnd: every unhandled error of the event, even after the response. */
  failures?: unknown[];
}

/** Errors after the response kept for whenSettled(): the first ones; later ones are only counted (and logged). */
export const MAX_KEPT_FLOW_ERRORS = 100;

export class FlowRunner implements GraphStep {
  readonly name = 'flow';
  private readonly background = new Set<Promise<void>>();
  private errors: unknown[] = [];
  /** Errors after the response beyond MAX_KEPT_FLOW_ERRORS since the last whenSettled(). */
  private droppedErrors = 0;

  constructor(
    readonly engine: FlowEngine,
    private readonly starts: RuntimeNode[],
    private readonly nodes: Map<string, RuntimeNode>,
    private readonly hasResponder: boolean,
    private readonly context: ServingContext,
    /** The serialized graph this runner was built from (its picture). */
    readonly dict: FlowDict,
    private readonly onStepError?: (failure: StepFailure) => void,
  ) {}

  /**
   * Runs one event and resolves when every path of it has ended in this function (its steps, and its
   * publishes to stream queues), to the response body (or `{id}` without a responder); rejects with the first
   * unhandled error, even one after the response. What a stream consumer acknowledges after.
   */
  async runToEnd(event: Event): Promise<unknown> {
    if (this.engine === 'sync') return this.runSync(event);
    let body: unknown = { id: event.id };
    const failures: unknown[] = [];
    const reply: Reply = { settled: false, resolve: (out) => (body = out), reject: () => undefined, failures };
    await this.runAsync(event, reply);
    if (failures.length > 0) throw failures[0];
    return body;
  }

  async doEvent(event: Event): Promise<unknown> {
    if (this.engine === 'sync') return this.runSync(event);
    if (!this.hasResponder) {
      this.track(this.runAsync(event, undefined));
      return { id: event.id };
    }
    return new Promise((resolve, reject) => {
      const reply: Reply = { settled: false, resolve, reject };
      const done = this.runAsync(event, reply).then(() => {
        if (!reply.settled) this.settle(reply, new GraphError('the event finished without reaching the responder'));
      });
      this.track(done);
    });
  }

  isReady(): boolean {
    return [...this.nodes.values()].every((node) => node.object?.isReady?.() ?? true);
  }

  /** Drains every event in flight, then rejects with the errors no response could carry (once). */
  async whenSettled(): Promise<void> {
    await Promise.all([...this.nodes.values()].map((node) => node.object?.whenSettled?.()));
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
    const errors = this.errors;
    const dropped = this.droppedErrors;
    this.errors = [];
    this.droppedErrors = 0;
    if (errors.length === 0) return;
    const messages = errors.map((err) => toGraphServeError(err).message).join('; ');
    const more = dropped > 0 ? ` (and ${dropped} more, not kept)` : '';
    const cause = errors.length === 1 ? errors[0] : new AggregateError(errors);
    throw new GraphError(`${errors.length + dropped} flow error(s) after the response: ${messages}${more}`, { cause });
  }

  /** Graphviz DOT text of the graph this runner runs. */
  toDot(): string {
    return flowToDot(this.dict);
  }

  private track(work: Promise<void>): void {
    this.background.add(work);
    void work.finally(() => this.background.delete(work));
  }

  private settle(reply: Reply, err: unknown): void {
    reply.settled = true;
    reply.reject(err);
  }

  /** Runs one event through the async graph; resolves when every path of it has ended. */
  private async runAsync(event: Event, reply: Reply | undefined): Promise<void> {
    const all: Promise<void>[] = [];
    const dispatch = (node: RuntimeNode, ev: Event): void => {
      all.push(this.step(node, ev, reply, dispatch));
    };
    this.starts.forEach((node, i) => dispatch(node, i === 0 ? event : cloneEvent(event)));
    // Steps dispatched while waiting are appended: wait until the last one has ended.
    for (let done = 0; done < all.length; done++) await all[done];
  }

  private async step(
    node: RuntimeNode,
    event: Event,
    reply: Reply | undefined,
    dispatch: (node: RuntimeNode, ev: Event) => void,
  ): Promise<void> {
    let out: Event | undefined;
    try {
      out = await node.run(event);
    } catch (err) {
      this.reportFailure(node, event, err);
      if (node.onError) dispatch(node.onError, { ...event, origin_state: node.name, error: err });
      else this.fail(node, err, reply);
      return;
    }
    if (out === undefined) return;
    if (node.responds && reply && !reply.settled) {
      reply.settled = true;
      reply.resolve(out.body);
    }
    node.next.forEach((next, i) => dispatch(next, i === 0 ? out : cloneEvent(out)));
  }

  /** Hands a step failure to the error stream (never throws). */
  private reportFailure(node: RuntimeNode, event: Event, error: unknown): void {
    try {
      this.onStepError?.({ step: node.name, error, eventId: event.id, body: event.body });
    } catch {
      // The error stream is a side output: its failures never change the event's outcome.
    }
  }

  /** An unhandled error: the response if it is still open, else logged and kept for whenSettled(). */
  private fail(node: RuntimeNode, err: unknown, reply: Reply | undefined): void {
    if (reply?.failures) {
      reply.failures.push(err);
      return;
    }
    if (reply && !reply.settled) return this.settle(reply, err);
    this.context.logger.error(`flow step ${node.name} failed: ${toGraphServeError(err).message}`, { step: node.name });
    if (this.errors.length < MAX_KEPT_FLOW_ERRORS) this.errors.push(err);
    else this.droppedErrors++; // a long-running server never drains them: keep memory bounded
  }

  private async runSync(event: Event): Promise<unknown> {
    let node: RuntimeNode | undefined = this.starts[0];
    let current = event;
    let response: { body: unknown } | undefined;
    while (node) {
      let out: Event | undefined;
      try {
        out = await node.run(current);
      } catch (err) {
        this.reportFailure(node, current, err);
        if (!node.onError) throw err;
        current = { ...current, origin_state: node.name, error: err };
        node = node.onError;
        continue;
      }
      if (out === undefined) break;
      current = out;
      if (node.responds && !response) response = { body: out.body };
      node = node.next[0];
    }
    return response ? response.body : current.body;
  }
}

/**
 * Builds every step of the current function's part (in insertion order, running their postInit) and links
 * them (./functions.ts).
 */
export async function buildFlowRunner(
  flow: FlowSpec,
  namespace: Namespace,
  context: ServingContext,
  options: FlowBuildOptions = {},
) {
  const part = functionPart(flow, options.currentFunction ?? ALL_FUNCTIONS);
  const local = [...flow.steps.values()].filter((step) => part.local.has(step.name));
  const nodes = new Map<string, RuntimeNode>();
  for (const step of local) {
    const built = await buildNode(step, namespace, context, options);
    nodes.set(step.name, {
      name: step.name,
      run: built.run,
      next: [],
      onError: undefined,
      responds: false,
      object: built.object,
    });
  }
  const hasResponder = local.some((s) => s.responder && s.kind !== 'error_step');
  const next = nextSteps(flow);
  for (const step of local) {
    const node = nodes.get(step.name)!;
    // A stream queue's next steps run in the function that consumes it.
    const after = streamPathOf(step) && options.currentFunction !== ALL_FUNCTIONS ? [] : next.get(step.name)!;
    node.next = after.filter((name) => nodes.has(name)).map((name) => nodes.get(name)!);
    const isError = step.kind === 'error_step';
    const handler = step.onError ?? (isError ? undefined : flow.onError);
    node.onError = handler === undefined ? undefined : nodes.get(handler);
    // MLRun PR #8331: an error handler responds only in a graph that has a responder (else requests hang).
    node.responds = step.responder || (isError && hasResponder && node.next.length === 0);
  }
  const starts = part.starts.map((step) => nodes.get(step.name)!);
  return new FlowRunner(flow.engine, starts, nodes, hasResponder, context, flow.toDict(), options.onStepError);
}
