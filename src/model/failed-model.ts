/**
 * FailedModel: the route of a model that could not be built (its settings could not be read, it has
 * no model file, its class is unknown, or its constructor threw). It keeps the model in the router
 * under its name, so the model is listed, counted and reported as unavailable instead of vanishing
 * (Triton's repository index lists such models too): it is never ready, and every event on its route
 * answers 503 (NotReadyError) saying why.
 */
import { NotReadyError } from '../errors';
import type { GraphStep } from '../step/step';
import type { Event } from '../event';
import { splitKey } from './model-key';

export interface FailedModelOptions {
  /** The route's model: 'name' or 'name:version'. */
  name: string;
  /** Why the model could not be built: an Error, or a message. */
  error: unknown;
}

export class FailedModel implements GraphStep {
  /** The model name (before ':'). */
  readonly name: string;
  /** The version (after ':'), or ''; a router answers `/versions/<v>` with this route too. */
  readonly version: string;
  /** Why the model is not available. */
  readonly error: Error;

  constructor(options: FailedModelOptions) {
    [this.name, this.version] = splitKey(options.name);
    this.error = options.error instanceof Error ? options.error : new Error(String(options.error));
  }

  /** Never ready. */
  isReady(): boolean {
    return false;
  }

  /** Every event (infer, metadata, ready, any method) rejects with a 503 NotReadyError. */
  doEvent(_event: Event): Promise<never> {
    return Promise.reject(new NotReadyError(`model ${this.name} is not available: ${this.error.message}`));
  }
}
