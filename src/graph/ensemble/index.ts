/** Ensembles and parallel execution (issue 5); importing this registers VotingEnsemble and ParallelRun. */
export { VotingEnsemble, VOTING_ENSEMBLE_DEFAULTS, type VotingEnsembleOptions } from './voting-ensemble';
export { ParallelRun, PARALLEL_RUN_DEFAULTS, type ParallelRunOptions } from './parallel-run';
export { PARALLEL_DEFAULTS, type ParallelOptions, type ChildErrorPolicy } from './children';
export type { ExecutorType } from './executors';
export type { ProcessPoolOptions, WorkerSpecProvider } from './process-pool';
export type { WorkerChildSpec } from './process-worker';
export { classify, regress, detectVoteType, normalizeWeights, type VoteType } from './vote';
