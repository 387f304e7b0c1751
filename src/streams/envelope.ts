/**
 * What a queue puts on a stream: the whole event as one JSON message (MLRun's full_event), keyed by the
 * event's key, else its id. The function that consumes the queue gets the same event back (id, key, path,
 * method, the headers worth keeping, body), so its steps see what the steps before the queue passed on.
 */
import type { Event } from '../event';
import type { OutMessage } from './types';

/** The event as it travels (JSON). A Buffer body is sent as base64 with `body_encoding: 'base64'`. */
export interface EventEnvelope extends Pick<Event, 'id' | 'key' | 'path' | 'method' | 'headers' | 'body'> {
  body_encoding?: 'base64';
}

/** Headers of the transport that brought the event, not of the event: not sent on. */
const DROPPED_HEADERS: ReadonlySet<string> = new Set([
  'host',
  'connection',
  'keep-alive',
  'content-length',
  'transfer-encoding',
  'accept-encoding',
  'content-encoding',
  'expect',
  'upgrade',
  'authorization',
  'cookie',
  'inference-header-content-length',
]);

function keptHeaders(headers: Record<string, string>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (!DROPPED_HEADERS.has(name)) kept[name] = value;
  return kept;
}

/** The message a queue publishes for `event`. */
export function eventToMessage(event: Event): OutMessage {
  const envelope: EventEnvelope = {
    id: event.id,
    path: event.path,
    method: event.method,
    headers: keptHeaders(event.headers),
    body: event.body,
  };
  if (event.key !== undefined) envelope.key = event.key;
  if (Buffer.isBuffer(event.body)) {
    envelope.body = event.body.toString('base64');
    envelope.body_encoding = 'base64';
  }
  return { key: event.key ?? event.id, value: JSON.stringify(envelope) };
}

/** Why a message is not an event envelope; undefined when it is one. */
function envelopeProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'it is not a JSON object';
  const record = value as Record<string, unknown>;
  if (!('body' in record)) return 'it has no body';
  if (typeof record.id !== 'string' || record.id === '') return 'it has no id';
  return undefined;
}

/** Parses a queue message back into its envelope; throws an Error saying what is wrong with it. */
export function messageToEnvelope(value: Buffer): EventEnvelope {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch (err) {
    throw new Error(`the message is not JSON: ${(err as Error).message}`, { cause: err });
  }
  const problem = envelopeProblem(parsed);
  if (problem) throw new Error(`the message is not an event: ${problem}`);
  const envelope = parsed as EventEnvelope;
  if (envelope.body_encoding === 'base64' && typeof envelope.body === 'string') {
    envelope.body = Buffer.from(envelope.body, 'base64');
  }
  if (typeof envelope.path !== 'string') envelope.path = '/';
  if (typeof envelope.method !== 'string') envelope.method = 'POST';
  if (typeof envelope.headers !== 'object' || envelope.headers === null) envelope.headers = {};
  return envelope;
}
