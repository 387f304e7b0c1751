/**
 * The voting arithmetic of VotingEnsemble, as pure functions over plain number arrays (MLRun used
 * numpy). Predictions arrive per model (`models × samples`); votes are computed per sample.
 */
import { InvalidOptionError, ModelError } from '../../errors';

export type VoteType = 'classification' | 'regression';

/** Classification when every prediction is an integer (1.0 counts), else regression (MLRun's rule). */
export function detectVoteType(predictions: readonly (readonly number[])[]): VoteType {
  return predictions.every((row) => row.every((v) => Number.isInteger(v))) ? 'classification' : 'regression';
}

/**
 * Weighted majority per sample. `weights[m]` is model m's weight. Ties go to the lowest class.
 * Any integer label counts, negative ones included (MLRun silently ignored negative labels).
 */
export function classify(predictions: readonly (readonly number[])[], weights: readonly number[]): number[] {
  const samples = predictions[0]?.length ?? 0;
  const votes: number[] = [];
  for (let s = 0; s < samples; s++) {
    const tally = new Map<number, number>();
    predictions.forEach((row, m) => tally.set(row[s]!, (tally.get(row[s]!) ?? 0) + weights[m]!));
    let best: number | undefined;
    let bestScore = -Infinity;
    for (const [label, score] of tally) {
      if (score > bestScore || (score === bestScore && label < best!)) {
        best = label;
        bestScore = score;
      }
    }
    votes.push(best!);
  }
  return votes;
}

/** Weighted mean per sample: Σ weights[m] · prediction[m][s] (weights sum to 1). */
export function regress(predictions: readonly (readonly number[])[], weights: readonly number[]): number[] {
  const samples = predictions[0]?.length ?? 0;
  const out: number[] = [];
  for (let s = 0; s < samples; s++) {
    out.push(predictions.reduce((sum, row, m) => sum + row[s]! * weights[m]!, 0));
  }
  return out;
}

/**
 * Weights for `models`, normalised to sum to 1. Undefined means equal weights. Models missing from
 * the map weigh 0 (MLRun's documented rule). Throws InvalidOptionError for a weight that is not a
 * finite number ≥ 0, for a key that names no model, and for weights that sum to 0.
 * MLRun used a sum ≥ 1 unnormalised (turning a mean into a sum) and crashed on a sum < 1.
 */
export function normalizeWeights(
  weights: Readonly<Record<string, unknown>> | undefined,
  models: readonly string[],
): Map<string, number> {
  const out = new Map<string, number>();
  if (weights === undefined) {
    for (const model of models) out.set(model, 1 / models.length);
    return out;
  }
  for (const [key, value] of Object.entries(weights)) {
    if (!models.includes(key)) {
      throw new InvalidOptionError(`weights name model ${key}, which is not a route; routes: ${models.join(' | ')}`);
    }
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new InvalidOptionError(`weight of model ${key} must be a finite number >= 0, got ${JSON.stringify(value)}`);
    }
  }
  const raw = models.map((model) => (weights[model] as number | undefined) ?? 0);
  const sum = raw.reduce((a, b) => a + b, 0);
  if (!(sum > 0)) throw new InvalidOptionError('weights must not all be 0');
  models.forEach((model, i) => out.set(model, raw[i]! / sum));
  return out;
}

/**
 * One model's predictions as a number list: a list of numbers, or a single number (one sample).
 * Throws ModelError naming the model otherwise.
 */
export function toPredictionRow(model: string, value: unknown): number[] {
  const row = typeof value === 'number' ? [value] : value;
  if (!Array.isArray(row) || !row.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw new ModelError(`cannot vote on the outputs of model ${model}: expected a list of numbers`);
  }
  return row as number[];
}
