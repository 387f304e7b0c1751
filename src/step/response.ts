import type { EventResponse } from '../event';

/**
 * A step result that carries its own HTTP status and headers (MLRun's nuclio `Response`). A step that
 * returns one ends the request: routers pass it up unchanged and GraphServer answers it as it is.
 */
export class ServingResponse implements EventResponse {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {}
}

export function isServingResponse(value: unknown): value is ServingResponse {
  return value instanceof ServingResponse;
}
