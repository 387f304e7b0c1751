/**
 * ParallelRun (MLRun's): runs every route on each event, whatever its path, and merges the children's
 * object results into one body. Children are steps (a V2ModelServer, or any GraphStep); each gets its
 * own copy of the event (MLRun shared one body between them).
 *
 * The merged body starts as a copy of the event body with `extendEvent`, else `{}`; then each child's
 * result is assigned over it in route order, so a key two children return takes the later route's value
 * (MLRun merged in completion order, which made collisions random). A child result that is not an
 * object fails the request.
 */
import { ModelError } from '../../errors';
import type { Event } from '../../event';
import { isPlainObject } from '../../step/paths';
import { registerClass } from '../../step/registry';
import { BaseRouter, type RouterOptions } from '../router';
import { ChildRunner, copyContainers, isRecord, type ParallelOptions } from './children';

export interface ParallelRunOptions extends RouterOptions, ParallelOptions {
  /** Start the merged body from the event body (true) or from `{}` (false). */
  extendEvent?: boolean;
}

export const PARALLEL_RUN_DEFAULTS = Object.freeze({ extendEvent: false });

export class ParallelRun extends BaseRouter {
  readonly extendEvent: boolean;
  protected readonly runner: ChildRunner;

  constructor(options: ParallelRunOptions = {}) {
    super(options);
    this.extendEvent = options.extendEvent ?? PARALLEL_RUN_DEFAULTS.extendEvent;
    this.runner = new ChildRunner(this.name, this.context, options);
  }

  override async postInit(): Promise<void> {
    this.runner.start(this.routes);
    await super.postInit();
  }

  /** Failures dropped so far, by route key. */
  get dropped(): ReadonlyMap<string, number> {
    return this.runner.dropped;
  }

  /** Every event runs every route (no URL routing); resolves to the merged body. */
  override doEvent(event: Event): Promise<unknown> {
    return this.merge(event);
  }

  protected runRoute(event: Event): Promise<unknown> {
    return this.merge(event);
  }

  /** Stops the worker threads of the 'process' executor (they restart on the next event). */
  close(): Promise<void> {
    return this.runner.close();
  }

  private async merge(event: Event): Promise<Record<string, unknown>> {
    const results = await this.runner.runAll(this.routes, event, event.path);
    const body: Record<string, unknown> =
      this.extendEvent && isPlainObject(event.body) ? (copyContainers(event.body) as Record<string, unknown>) : {};
    for (const [key, result] of results) {
      if (!isRecord(result)) {
        throw new ModelError(`${this.name}: route ${key} returned ${describe(result)}, which cannot be merged`);
      }
      Object.assign(body, result);
    }
    return body;
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'a list' : `a ${typeof value}`;
}

registerClass('ParallelRun', ParallelRun);
