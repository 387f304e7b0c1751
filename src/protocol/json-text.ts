/**
 * JSON text in and out, with errors a client can act on and integers kept exact.
 *
 * Integers: a JSON integer literal whose magnitude is 2^53 or more cannot be a JS number without losing
 * digits (JSON.parse reads 2^62 as 4611686018427388000). parseJson returns such integers as `bigint`
 * and every other number as a `number`; stringifyJson writes a `bigint` back as its exact integer
 * literal. So an INT64/UINT64 value sent as a number comes back with the same digits, and an in-process
 * caller (the mock server, a user predict() in the MLRun dialect) sees `bigint` for exactly the integers
 * that a number cannot hold.
 *
 * Nesting: a JSON text nested deeper than MAX_JSON_DEPTH is a BadRequestError. Nothing graphserve answers
 * needs more, and deeper values cannot even be written back as JSON by the JS engine.
 */
import { parse as parseLossless, stringify as stringifyLossless } from 'lossless-json';
import { BadRequestError, ModelError } from '../errors';

/** Deepest nesting of arrays and objects accepted in a JSON text (the top-level value is depth 1). */
export const MAX_JSON_DEPTH = 256;

/** Longest part of the parser's message repeated to the client (it may quote the body). */
const MAX_MESSAGE = 200;

/** Integers from here on (in magnitude) are not exact as numbers. */
const UNSAFE = 2 ** 53;

/**
 * A number token (numbers follow the start, '[', ',', ':' or white space) of 16 or more digits before
 * any fraction or exponent. Strings may match too: that only costs the exact (slower) parse.
 */
const LONG_DIGITS = /(?:^|[,[:\s])-?\d{16}/g;

/** Any run of 16 digits: without one, a text holds no integer literal of 2^53 or more. */
const SIXTEEN_DIGITS = /\d{16}/;

function lineAndColumn(text: string, position: number): string {
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - before.lastIndexOf('\n');
  return `line ${line}, column ${column}`;
}

function malformed(text: string, what: string, err: unknown): BadRequestError {
  const message = err instanceof Error ? err.message : String(err);
  const short = message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}...` : message;
  const match = /at position (\d+)/.exec(message);
  const where = match ? ` (${lineAndColumn(text, Number(match[1]))})` : '';
  const empty = text.trim() === '' ? ' (the body is empty)' : '';
  return new BadRequestError(`malformed JSON in ${what}${where}${empty}: ${short}`, { cause: err });
}

/**
 * Walks a parsed value: throws when it is nested deeper than MAX_JSON_DEPTH, and returns whether some
 * number may have been an integer literal of 2^53 or more, i.e. is an integer of that magnitude (a
 * float such as 1e20 is one too; the text decides). The recursion is bounded by the depth limit.
 */
function scan(value: unknown, depth: number, what: string): boolean {
  if (typeof value === 'number') return Math.abs(value) >= UNSAFE && Number.isInteger(value);
  if (value === null || typeof value !== 'object') return false;
  if (depth > MAX_JSON_DEPTH) throw tooDeep(what);
  return Array.isArray(value) ? scanArray(value, depth, what) : scanObject(value, depth, what);
}

function scanArray(items: readonly unknown[], depth: number, what: string): boolean {
  let found = false;
  for (let i = 0; i < items.length; i++) {
    const v = items[i];
    if (typeof v === 'number') {
      if (Math.abs(v) >= UNSAFE && Number.isInteger(v)) found = true;
    } else if (typeof v === 'object' && v !== null && scan(v, depth + 1, what)) {
      found = true;
    }
  }
  return found;
}

function scanObject(object: object, depth: number, what: string): boolean {
  let found = false;
  for (const key in object) {
    const v = (object as Record<string, unknown>)[key];
    if (typeof v === 'number') {
      if (Math.abs(v) >= UNSAFE && Number.isInteger(v)) found = true;
    } else if (typeof v === 'object' && v !== null && scan(v, depth + 1, what)) {
      found = true;
    }
  }
  return found;
}

/** True when the text holds an integer literal of 16 digits or more (a candidate for bigint). */
function hasLongInteger(text: string): boolean {
  LONG_DIGITS.lastIndex = 0;
  for (let m = LONG_DIGITS.exec(text); m !== null; m = LONG_DIGITS.exec(text)) {
    let end = m.index + m[0].length;
    while (end < text.length && text.charCodeAt(end) >= 0x30 && text.charCodeAt(end) <= 0x39) end++;
    const next = text[end];
    if (next !== '.' && next !== 'e' && next !== 'E') return true;
    LONG_DIGITS.lastIndex = end;
  }
  return false;
}

/** lossless-json's number callback: bigint for integer literals a number cannot hold, numbers otherwise. */
function exactNumber(literal: string): number | bigint {
  const n = Number(literal);
  if (Number.isSafeInteger(n) || !/^-?\d+$/.test(literal)) return n;
  return BigInt(literal);
}

function tooDeep(what: string): BadRequestError {
  return new BadRequestError(`${what} is nested more than ${MAX_JSON_DEPTH} levels deep`);
}

/**
 * Parses JSON text (see the module comment): integers of 2^53 or more become bigint. A malformed text
 * throws BadRequestError saying what was being parsed and where it broke (position, line and column
 * when the parser reports them); so does a text nested deeper than MAX_JSON_DEPTH.
 *
 * Cost: JSON.parse, and for texts of 512 characters and more or with a run of 16 digits, one walk of its
 * result (depth, and numbers that are integers of 2^53 or more).
 * Only when the walk finds such a number is the text scanned for a long integer literal, and only when
 * it holds one is it parsed a second time, exactly (lossless-json, several times slower than JSON.parse).
 */
export function parseJson(text: string, what: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw malformed(text, what, err);
  }
  // Short texts (most requests) skip the walk: too short to nest past the limit, and no long integer.
  if (text.length < 2 * MAX_JSON_DEPTH && !SIXTEEN_DIGITS.test(text)) return value;
  if (!scan(value, 1, what) || !hasLongInteger(text)) return value;
  try {
    // JSON.parse keeps the last of duplicate keys; so does this.
    return parseLossless(text, null, { parseNumber: exactNumber, onDuplicateKey: (d) => d.newValue });
  } catch (err) {
    throw malformed(text, what, err); // not expected: JSON.parse accepted the same text
  }
}

// By name: errors may come from another realm (jest runs tests in their own).
function isRangeError(err: unknown): boolean {
  return (err as Error | undefined)?.name === 'RangeError';
}

function isBigIntError(err: unknown): boolean {
  return (err as Error | undefined)?.name === 'TypeError' && /BigInt/.test(String((err as Error).message));
}

/**
 * JSON text of a value, as JSON.stringify writes it, except that a bigint is written as its exact
 * integer literal (JSON.stringify throws on one). Values with no JSON text (undefined, a function)
 * give 'null'. A value nested too deeply to write throws ModelError (a 500, never a RangeError).
 *
 * Cost: JSON.stringify alone unless the value holds a bigint.
 */
export function stringifyJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch (err) {
    if (isRangeError(err)) throw unwritable(err);
    if (!isBigIntError(err)) throw err;
  }
  try {
    return stringifyLossless(value) ?? 'null';
  } catch (err) {
    throw isRangeError(err) ? unwritable(err) : err;
  }
}

function unwritable(err: unknown): ModelError {
  return new ModelError('the response is nested too deeply to be written as JSON', { cause: err });
}
