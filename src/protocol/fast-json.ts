/**
 * A fast path for large OIP JSON requests. Building tens of thousands of JS numbers with JSON.parse
 * and then copying them into a TypedArray dominates the JS thread for image-sized tensors; here each
 * `"data": [numbers]` array is read by the addon straight into a typed array (FP32 data into a Float32Array), and
 * only the small rest of the body goes through JSON.parse.
 *
 * The result is used only when every extracted array turns out to be `inputs[i].data` of an FP32 or
 * FP64 input; anything else (other datatypes, a "data" key elsewhere, malformed text, no addon) returns
 * undefined and the caller parses the whole body as usual, so errors and results are parseJson's.
 * Integer datatypes never take this path: their data is read exactly by parseJson (./json-text.ts),
 * INT64 values beyond 2^53 included, while the addon reads every number as a double.
 * Nested data keeps the usual check: the addon reports the nesting (and refuses ragged arrays), and data
 * nested otherwise than its input's shape goes the usual way, which rejects it.
 */
import { type Addon, loadAddon } from '../../bindings/loader';
import { parseJson } from './json-text';

/** Bodies smaller than this are parsed as usual: the fast path only pays off for big tensors. */
export const FAST_JSON_MIN_BYTES = 16 * 1024;

const KEY = Buffer.from('"data"');
const PLACEHOLDER = '\u0000graphserve:';

type NumberParser = Addon['parseJsonNumbers'];

let parser: NumberParser | null | undefined;

function numberParser(): NumberParser | null {
  if (parser === undefined) {
    try {
      parser = loadAddon().parseJsonNumbers;
    } catch {
      parser = null; // no addon: the plain path still works
    }
  }
  return parser;
}

function skipSpace(buf: Buffer, i: number): number {
  while (i < buf.length && (buf[i] === 0x20 || buf[i] === 0x0a || buf[i] === 0x0d || buf[i] === 0x09)) i++;
  return i;
}

/**
 * One `"data": [numbers]` array read by the addon: the bytes [start, end) it spans, its numbers and nesting.
 * The numbers are in `values` (doubles) or `values32` (rounded to FP32 by the reader: no conversion on the event
 * loop, no doubles kept), as the addon guessed from the input's "datatype" written before its data
 * (native/json_numbers.h, GuessJsonNumberBits); restore() mends a wrong guess.
 */
export interface FoundArray {
  values?: Float64Array;
  values32?: Float32Array;
  /** Length of the arrays at each depth: [n] for flat data, the shape for nested data. */
  dims: number[];
  start: number;
  end: number;
}

/** Finds every `"data": [numbers]` array; undefined when a "data" array is not all numbers. */
function extract(buf: Buffer, parse: NumberParser): FoundArray[] | undefined {
  const arrays: FoundArray[] = [];
  let pos = buf.indexOf(KEY);
  while (pos !== -1) {
    let i = skipSpace(buf, pos + KEY.length);
    if (buf[i] === 0x3a /* : */) {
      i = skipSpace(buf, i + 1);
      if (buf[i] === 0x5b /* [ */) {
        const found = parse(buf, i); // FP32 or FP64: the addon guesses from the object's datatype
        if (found === null) return undefined;
        const array = found as FoundArray; // start added in place: a spread that adds a key is V8's slow path
        array.start = i;
        arrays.push(array);
        i = found.end;
      }
    }
    pos = buf.indexOf(KEY, i);
  }
  return arrays;
}

/** The text with each found array replaced by a placeholder string naming its index. */
function withPlaceholders(buf: Buffer, arrays: readonly FoundArray[]): string {
  const parts: Buffer[] = [];
  let last = 0;
  arrays.forEach((found, index) => {
    parts.push(buf.subarray(last, found.start), Buffer.from(JSON.stringify(`${PLACEHOLDER}${index}`)));
    last = found.end;
  });
  parts.push(buf.subarray(last));
  return Buffer.concat(parts).toString('utf8');
}

/** Whether data read with `dims` is flat, or nested exactly as `shape` (as the usual path requires). */
function nestedAsShape(dims: readonly number[], shape: unknown): boolean {
  if (dims.length === 1) return true; // flat: its length is checked against the shape later
  return Array.isArray(shape) && shape.length === dims.length && dims.every((d, i) => d === shape[i]);
}

/** The array's numbers as `datatype`'s data (FP32 or FP64); undefined for another datatype. */
function dataOf(datatype: unknown, found: FoundArray, buf: Buffer): Float32Array | Float64Array | undefined {
  if (datatype === 'FP32') return found.values32 ?? Float32Array.from(found.values!); // rounds as Math.fround
  if (datatype !== 'FP64') return undefined;
  return found.values ?? numberParser()?.(buf, found.start, 64)?.values; // read as FP32: read again
}

/**
 * Puts each array back as typed data; false when a placeholder is anywhere but an FP32/FP64 input's data,
 * or data is nested otherwise than its input's shape (the usual path then says what is wrong).
 */
function restore(body: unknown, arrays: readonly FoundArray[], buf: Buffer): boolean {
  const inputs = (body as { inputs?: unknown } | null)?.inputs;
  if (!Array.isArray(inputs)) return false;
  let restored = 0;
  for (const input of inputs as Array<Record<string, unknown>>) {
    const data = input?.['data'];
    if (typeof data !== 'string' || !data.startsWith(PLACEHOLDER)) continue;
    const found = arrays[Number(data.slice(PLACEHOLDER.length))];
    if (found === undefined || !nestedAsShape(found.dims, input['shape'])) return false;
    const typed = dataOf(input['datatype'], found, buf);
    if (typed === undefined) return false;
    input['data'] = typed;
    restored++;
  }
  return restored === arrays.length;
}

/**
 * The body with `arrays` (every `"data": [numbers]` array of `buf`, in order, as the addon found them)
 * put back as typed data, or undefined to parse it the usual way (see the module comment).
 */
export function assembleInferJson(buf: Buffer, arrays: readonly FoundArray[]): unknown {
  if (arrays.length === 0) return undefined;
  let body: unknown;
  try {
    body = parseJson(withPlaceholders(buf, arrays), 'the request body');
  } catch {
    return undefined;
  }
  return restore(body, arrays, buf) ? body : undefined;
}

/** The decoded body via the fast path, or undefined to parse it the usual way. */
export function parseLargeInferJson(buf: Buffer): unknown {
  if (buf.length < FAST_JSON_MIN_BYTES) return undefined;
  const parse = numberParser();
  if (parse === null) return undefined;
  const arrays = extract(buf, parse);
  return arrays === undefined ? undefined : assembleInferJson(buf, arrays);
}
