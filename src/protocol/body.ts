/**
 * Decoding of an event body into a plain value, before any model sees it.
 *
 * - Objects (and arrays, numbers, …) from in-process callers pass through unchanged.
 * - A Buffer with the header `inference-header-content-length` is a binary-extension body: its JSON header
 *   is returned with each binary input's raw bytes attached as `binary` (see ./binary.ts).
 * - A Buffer whose content type is raw media (application/octet-stream, image/*, audio/*, video/*) passes
 *   through as the Buffer: user models may take raw bytes.
 * - A large JSON Buffer whose FP32/FP64 inputs' data are plain number arrays takes a fast path (./fast-json.ts)
 *   that yields the same request with that data already typed.
 * - Any other Buffer or string is JSON text (curl's default form content type included); malformed JSON is a
 *   BadRequestError saying where it broke. An empty body decodes to undefined.
 */
import { HEADER_LENGTH, splitBinaryBody } from './binary';
import { parseLargeInferJson } from './fast-json';
import { parseJson } from './json-text';

const RAW_TYPES = /^(application\/octet-stream|image\/|audio\/|video\/)/;

function contentTypeOf(headers: Record<string, string>): string {
  return (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/** Decodes an event body (see the module comment); headers have lower-cased names. */
export function decodeBody(body: unknown, headers: Record<string, string>): unknown {
  const isBuffer = Buffer.isBuffer(body);
  if (!isBuffer && typeof body !== 'string') return body;
  const headerLength = headers[HEADER_LENGTH];
  if (isBuffer && headerLength !== undefined) return splitBinaryBody(body, headerLength);
  if (isBuffer && RAW_TYPES.test(contentTypeOf(headers))) return body;
  const fast = isBuffer ? parseLargeInferJson(body) : undefined;
  if (fast !== undefined) return fast;
  const text = isBuffer ? body.toString('utf8') : body;
  if (text.trim() === '') return undefined;
  return parseJson(text, 'the request body');
}
