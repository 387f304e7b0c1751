/**
 * Decoding of an event body into a plain value, before any step sees it. Text and bytes are treated as
 * MLRun treats them, by content type:
 *
 * - Objects (and arrays, numbers, …) from in-process callers pass through unchanged.
 * - A Buffer with the header `inference-header-content-length` is a binary-extension body: its JSON header
 *   is returned with each binary input's raw bytes attached as `binary` (see ./binary.ts).
 * - A JSON content type (`application/json`, `*+json`, `json`): JSON text; malformed JSON is a
 *   BadRequestError saying where it broke. A large JSON Buffer whose FP32/FP64 inputs' data are plain
 *   number arrays takes a fast path (./fast-json.ts) that yields the same request with that data typed.
 * - No content type, curl's default `application/x-www-form-urlencoded`, or fetch's default for strings
 *   `text/plain`: JSON when the text parses as JSON; otherwise the bytes (a Buffer) or the text (a string;
 *   always for text/plain) as they came. Text that starts like a JSON object or list but does not parse is
 *   a BadRequestError all the same (MLRun passes it on as text).
 * - `application/text` and other `text/*`: a string (Buffers decoded as UTF-8), never parsed.
 * - Any other content type (application/octet-stream, image/*, audio/* …): the Buffer (or string) as it
 *   came; user models may take raw bytes and a RemoteStep forwards them unchanged.
 * An empty body decodes to undefined.
 */
import { HEADER_LENGTH, splitBinaryBody } from './binary';
import { parseLargeInferJson } from './fast-json';
import { parseJson } from './json-text';

/** How a content type's body is decoded (see the module comment). */
type BodyKind = 'json' | 'maybe-json' | 'text' | 'raw';

const JSON_TYPE = /^(application\/([\w.+-]+\+)?json|json)$/;
const TEXT_TYPE = /^(text\/|application\/text$)/;
const UNTYPED: readonly string[] = Object.freeze(['', 'application/x-www-form-urlencoded', 'text/plain']);

function contentTypeOf(headers: Record<string, string>): string {
  return (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

function kindOf(contentType: string): BodyKind {
  if (JSON_TYPE.test(contentType)) return 'json';
  if (UNTYPED.includes(contentType)) return 'maybe-json';
  return TEXT_TYPE.test(contentType) ? 'text' : 'raw';
}

/**
 * Whether decodeBody may read `body` with the fast path of ./fast-json.ts: a JSON Buffer (by content type,
 * or untyped), not a binary-extension body. ./off-thread-json.ts runs that path off the event loop.
 */
export function mayBeInferJson(body: unknown, headers: Record<string, string>): body is Buffer {
  if (!Buffer.isBuffer(body) || headers[HEADER_LENGTH] !== undefined) return false;
  const kind = kindOf(contentTypeOf(headers));
  return kind === 'json' || kind === 'maybe-json';
}

/**
 * Decodes an event body (see the module comment); headers have lower-cased names. `fastJson` false skips
 * the fast path (the caller has already tried it, off the event loop); the result is the same.
 */
export function decodeBody(body: unknown, headers: Record<string, string>, fastJson = true): unknown {
  const isBuffer = Buffer.isBuffer(body);
  if (!isBuffer && typeof body !== 'string') return body;
  const headerLength = headers[HEADER_LENGTH];
  if (isBuffer && headerLength !== undefined) return splitBinaryBody(body, headerLength);
  const contentType = contentTypeOf(headers);
  const kind = kindOf(contentType);
  if (kind === 'raw') return body.length === 0 ? undefined : body;
  const fast = fastJson && isBuffer && kind !== 'text' ? parseLargeInferJson(body) : undefined;
  if (fast !== undefined) return fast;
  const text = isBuffer ? body.toString('utf8') : body;
  if (text.trim() === '') return undefined;
  if (kind === 'text') return text;
  if (kind === 'json' || looksLikeJsonContainer(text)) return parseJson(text, 'the request body');
  try {
    return parseJson(text, 'the request body');
  } catch {
    return contentType === 'text/plain' ? text : body; // not JSON, and nothing said it was: as it came
  }
}

/** Text that starts like a JSON object or list (after whitespace). */
function looksLikeJsonContainer(text: string): boolean {
  const first = text.trimStart()[0];
  return first === '{' || first === '[';
}
