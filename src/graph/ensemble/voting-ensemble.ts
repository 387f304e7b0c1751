/**
 * VotingEnsemble (MLRun's): a router whose operation runs every route and votes on their predictions.
 *
 * URLs under `urlPrefix` (default /v2/models):
 * - `GET|POST <prefix>` → `{models: [...routes, name], weights}` (weights as normalised);
 * - `<prefix>/<op>` and `<prefix>/<name>[/<op>]` with op infer | predict | explain → the vote;
 * - `GET <prefix>/<name>` → the ensemble's metadata (inputs/outputs of the first child that has some);
 * - `<prefix>/<model>[/versions/<v>][/<op>]` → pass-through: that child's own response (then postprocess()).
 * With no path (streams), the body's `model` picks a child for a pass-through (MLRun ignored it) and
 * otherwise the ensemble votes; the body's `operation` is the op.
 *
 * The vote: each child's `outputs` (or `outputs[predictionColName]` with formatResponseWithColNameFlag)
 * must be a list of numbers, one per sample; a child that is a handler function or a `do(body)` class
 * may answer that list itself. An unnamed ensemble is named `VotingEnsemble`, as in MLRun. 'classification' takes the weighted majority per sample,
 * ties to the lowest class; 'regression' the weighted mean. Without `voteType` the type is detected once,
 * from the first predictions (all integers → classification) and kept. Weights are normalised over the
 * children that answered (a dropped child does not shrink a regression).
 */
import { InvalidOptionError, ModelError, NotFoundError } from '../../errors';
import { buildEnvelope, formatTimestamp, nowMillis } from '../../model/envelope';
import type { Event } from '../../event';
import { isPlainObject } from '../../step/paths';
import { registerClass } from '../../step/registry';
import { isServingResponse } from '../../step/response';
import { BaseRouter, type ResolvedRoute, type RouterOptions } from '../router';
import { ChildRunner, isRecord, type ParallelOptions } from './children';
import { classify, detectVoteType, normalizeWeights, regress, toPredictionRow, type VoteType } from './vote';

export interface VotingEnsembleOptions extends RouterOptions, ParallelOptions {
  /** Default: detected from the first predictions. */
  voteType?: VoteType;
  /** `{routeKey: weight}`: normalised to sum 1; routes left out weigh 0; default: equal weights. */
  weights?: Record<string, number>;
  /** Read and write predictions as `outputs[predictionColName]` instead of `outputs`. */
  formatResponseWithColNameFlag?: boolean;
  predictionColName?: string;
  /** The ensemble's model_version. */
  version?: string;
}

export const VOTING_ENSEMBLE_DEFAULTS = Object.freeze({
  formatResponseWithColNameFlag: false,
  predictionColName: 'prediction',
  version: 'v1',
});

/** Operations that run the vote. */
const ENSEMBLE_OPS: readonly string[] = Object.freeze(['infer', 'predict', 'explain']);

export class VotingEnsemble extends BaseRouter {
  readonly version: string;
  readonly formatResponseWithColNameFlag: boolean;
  readonly predictionColName: string;
  /** The vote type: given, or detected on the first vote. */
  voteType: VoteType | undefined;
  /** Normalised weights by route key; set by postInit(). */
  weights = new Map<string, number>();
  protected readonly runner: ChildRunner;
  private readonly rawWeights: Record<string, number> | undefined;

  constructor(options: VotingEnsembleOptions = {}) {
    super(options);
    if (options.voteType !== undefined && !['classification', 'regression'].includes(options.voteType)) {
      throw new InvalidOptionError(`voteType must be 'classification' or 'regression', got ${options.voteType}`);
    }
    this.voteType = options.voteType;
    this.rawWeights = options.weights;
    this.version = options.version ?? VOTING_ENSEMBLE_DEFAULTS.version;
    this.formatResponseWithColNameFlag =
      options.formatResponseWithColNameFlag ?? VOTING_ENSEMBLE_DEFAULTS.formatResponseWithColNameFlag;
    this.predictionColName = options.predictionColName ?? VOTING_ENSEMBLE_DEFAULTS.predictionColName;
    this.runner = new ChildRunner(this.name, this.context, options);
  }

  /** Loads the children, then checks the weights and sets up the executor; a bad weight fails start-up. */
  override async postInit(): Promise<void> {
    this.weights = normalizeWeights(this.rawWeights, [...this.routes.keys()]);
    this.runner.start(this.routes);
    await super.postInit();
  }

  /** Failures dropped from votes so far, by route key. */
  get dropped(): ReadonlyMap<string, number> {
    return this.runner.dropped;
  }

  override listModels(): { models: string[]; weights: Record<string, number> } {
    return { models: [...this.routes.keys(), this.name], weights: Object.fromEntries(this.weights) };
  }

  /**
   * Transforms every response the ensemble answers (votes and pass-throughs) before it is sent.
   * Called once per request, concurrently.
   */
  postprocess<R extends object>(response: R): R | Promise<R> {
    return response;
  }

  /** Stops the worker threads of the 'process' executor (they restart on the next event). */
  close(): Promise<void> {
    return this.runner.close();
  }

  protected override resolveRoute(event: Event, path: string): ResolvedRoute {
    if (path !== '') return super.resolveRoute(event, path);
    const body = isPlainObject(event.body) ? event.body : {};
    const model = typeof body.model === 'string' ? body.model : this.name;
    return { model, subpath: typeof body.operation === 'string' ? body.operation : '' };
  }

  protected async runRoute(event: Event, route: ResolvedRoute): Promise<unknown> {
    const model = route.model!;
    if (ENSEMBLE_OPS.includes(model) && route.subpath === '') return this.vote(event, model);
    if (model === this.name) {
      if (route.subpath === '' && event.method === 'GET') return this.metadata(event);
      return this.vote(event, route.subpath || 'infer');
    }
    const result = await this.getRoute(model).doEvent({ ...event, path: `/${route.subpath}` });
    return isServingResponse(result) || result === null || typeof result !== 'object'
      ? result
      : this.postprocess(result);
  }

  /** Runs every child with `op` and answers the vote in an MLRun envelope. */
  protected async vote(event: Event, op: string): Promise<unknown> {
    if (!ENSEMBLE_OPS.includes(op)) {
      throw new NotFoundError(`illegal ensemble operation ${op}, use one of ${ENSEMBLE_OPS.join(', ')}`);
    }
    const started = nowMillis();
    const results = await this.runner.runAll(this.routes, event, `/${op}`);
    const keys = [...results.keys()];
    const rows = keys.map((key) => toPredictionRow(key, this.predictionsOf(key, results.get(key))));
    if (rows.some((row) => row.length !== rows[0]!.length)) {
      throw new ModelError(`cannot vote: the models returned different numbers of predictions`);
    }
    this.voteType ??= detectVoteType(rows);
    const weights = this.weightsFor(keys);
    const votes = this.voteType === 'classification' ? classify(rows, weights) : regress(rows, weights);
    const outputs = this.formatResponseWithColNameFlag ? { [this.predictionColName]: votes } : votes;
    const body = isPlainObject(event.body) ? event.body : {};
    const id = typeof body.id === 'string' && body.id ? body.id : event.id;
    const timestamp = op === 'explain' ? undefined : formatTimestamp(started);
    const response = await this.postprocess(
      buildEnvelope({ id, name: this.name, version: this.version, outputs }, timestamp),
    );
    this.trackVote(body, op, id, started, response);
    return response;
  }

  /**
   * With tracking on, the ensemble's own record (MLRun: one per child, which the children push, plus one for
   * the vote, whose request id is the response's). A monitor failure never fails the request.
   */
  private trackVote(body: Record<string, unknown>, op: string, id: string, started: number, response: unknown): void {
    const monitor = this.context.monitor;
    if (!monitor) return;
    try {
      monitor({
        model: this.name,
        version: this.version ?? '',
        op,
        id,
        when: formatTimestamp(started),
        microsec: Math.round((nowMillis() - started) * 1000),
        inputs: body.inputs,
        outputs: isRecord(response) ? response.outputs : undefined,
        metrics: {},
      });
    } catch (err) {
      this.context.logger.warn(`tracking failed for ensemble ${this.name}`, { error: String(err) });
    }
  }

  /** A child's predictions: its `outputs` (model servers), or its result itself when that is a list (handlers, do()). */
  private predictionsOf(key: string, result: unknown): unknown {
    if (Array.isArray(result) && !this.formatResponseWithColNameFlag) return result;
    if (!isRecord(result) || !('outputs' in result)) {
      throw new ModelError(`cannot vote on the response of model ${key}: it has no outputs`);
    }
    if (!this.formatResponseWithColNameFlag) return result.outputs;
    const outputs = result.outputs;
    if (!isRecord(outputs) || !(this.predictionColName in outputs)) {
      throw new ModelError(`cannot vote: the outputs of model ${key} have no column ${this.predictionColName}`);
    }
    return outputs[this.predictionColName];
  }

  /** The weights of the children that answered, normalised again over them. */
  private weightsFor(keys: readonly string[]): number[] {
    const raw = keys.map((key) => this.weights.get(key) ?? 0);
    const sum = raw.reduce((a, b) => a + b, 0);
    if (!(sum > 0)) throw new ModelError(`cannot vote: the models that answered (${keys.join(', ')}) all weigh 0`);
    return raw.map((w) => w / sum);
  }

  /** `{name, version, inputs, outputs}`: features from the first child whose metadata has any. */
  protected async metadata(event: Event): Promise<unknown> {
    for (const step of this.routes.values()) {
      const meta = await step.doEvent({ ...event, method: 'GET', path: '/', body: undefined });
      if (!isRecord(meta)) continue;
      const { inputs, outputs } = meta as { inputs?: unknown[]; outputs?: unknown[] };
      if ((inputs?.length ?? 0) > 0 || (outputs?.length ?? 0) > 0) {
        return { name: this.name, version: this.version, inputs: inputs ?? [], outputs: outputs ?? [] };
      }
    }
    return { name: this.name, version: this.version, inputs: [], outputs: [] };
  }
}

registerClass('VotingEnsemble', VotingEnsemble);
