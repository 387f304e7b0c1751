/**
 * A stand-in for GraphServer in HTTP tests: it records events and answers /v2/models/echo/infer by
 * echoing every input as an output, through the real protocol codecs.
 */
import { GraphServeError, ModelNotFoundError, toGraphServeError } from '../../src/errors';
import { decodeBody, decodeInferRequest, encodeInferResponse } from '../../src/protocol';
import type { Event, EventResponse } from '../../src/event';
import type { EventRunner } from '../../src/server/http/http';

export class EchoRunner implements EventRunner {
  readonly events: Event[] = [];
  /** When set, requests to /hold wait for this promise before answering. */
  hold: Promise<void> | undefined;

  async run(event: Event): Promise<EventResponse> {
    this.events.push(event);
    try {
      return await this.#answer(event);
    } catch (err) {
      const e: GraphServeError = toGraphServeError(err);
      return { status: e.status, headers: {}, body: e.toJSON() };
    }
  }

  async #answer(event: Event): Promise<EventResponse> {
    if (event.path === '/hold') {
      await this.hold;
      return { status: 200, headers: {}, body: { held: true } };
    }
    if (event.path === '/v2/health/ready') return { status: 200, headers: {}, body: undefined };
    if (event.path !== '/v2/models/echo/infer') throw new ModelNotFoundError(`no model at ${event.path}`);
    const req = decodeInferRequest(decodeBody(event.body, event.headers));
    const outputs = req.inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape, data: t.data }));
    const res = encodeInferResponse({ model_name: 'echo', id: req.id ?? event.id, outputs }, req);
    return { status: 200, ...res };
  }
}
