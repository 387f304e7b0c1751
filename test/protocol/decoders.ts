/**
 * The two ways GraphServer decodes a request body, for tests that must hold for both: decodeBody on the
 * event loop, and OffThreadJsonDecoder with no size threshold, so that every JSON Buffer (small test
 * bodies included) takes the off-thread path (the addon reads its number arrays on the libuv pool).
 */
import { decodeBody } from '../../src/protocol';
import { OffThreadJsonDecoder } from '../../src/protocol/off-thread-json';

export interface BodyDecoder {
  label: string;
  /** Whether bodies whose data the fast path takes are read off the event loop. */
  offLoop: boolean;
  decode(body: unknown, headers?: Record<string, string>): Promise<unknown>;
  /** Bodies whose numbers were read off the event loop so far (0 on the event loop). */
  offThread(): number;
}

const offThread = new OffThreadJsonDecoder({ minBytes: 0 });

export const BODY_DECODERS: readonly BodyDecoder[] = Object.freeze([
  {
    label: 'on the event loop',
    offLoop: false,
    decode: async (body: unknown, headers: Record<string, string> = {}) => decodeBody(body, headers),
    offThread: () => 0,
  },
  {
    label: 'off the event loop',
    offLoop: true,
    decode: async (body: unknown, headers: Record<string, string> = {}) => offThread.decode(body, headers),
    offThread: () => offThread.offThread,
  },
]);
