/**
 * Protocol Buffers text format (what Triton's config.pbtxt is written in) read into plain JSON-like objects,
 * without a schema, so that fields graphserve does not know are read (and reported) rather than refused:
 *
 *   name: "iris"                      strings (adjacent ones joined; C escapes), numbers, identifiers
 *   max_batch_size: 8                 (enum values, true/false) as strings, numbers and booleans
 *   dynamic_batching { ... }          a message, with or without ':' before it, '{...}' or '<...>'
 *   dims: [ 1, 3 ]                    a list (written so, or a field written more than once)
 *   # a comment                       fields may end with ',' or ';'
 *
 * `repeated` names the fields that are lists even when written once (the schema's repeated fields), and a
 * list of {key, value} messages named in `maps` becomes an object (text format's form of a map). Malformed
 * text throws InvalidOptionError with the line and column.
 */
import { InvalidOptionError } from '../errors';

export type TextValue = string | number | boolean | TextMessage | TextValue[];
export interface TextMessage {
  [field: string]: TextValue;
}

export interface TextFormatSchema {
  repeated: ReadonlySet<string>;
  maps: ReadonlySet<string>;
}

const NUMBER = /^[-+]?(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)[fFuUlL]*$/;
const TOKEN =
  /\s+|#[^\n]*|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|[-+]?(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)[fFuUlL]*|[-+]?[A-Za-z_][\w.]*|[{}<>[\]:,;]/y;
const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', '"': '"', "'": "'", '\\': '\\' };

interface Token {
  text: string;
  at: number;
}

function tokenize(text: string, where: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    const at = TOKEN.lastIndex;
    const match = TOKEN.exec(text);
    if (match === null) throw syntaxError(text, at, where, `unexpected ${JSON.stringify(text[at])}`);
    if (!/^\s|^#/.test(match[0])) tokens.push({ text: match[0], at });
  }
  return tokens;
}

function syntaxError(text: string, at: number, where: string, what: string): InvalidOptionError {
  const before = text.slice(0, at).split('\n');
  const position = `line ${before.length}, column ${before[before.length - 1]!.length + 1}`;
  return new InvalidOptionError(`${where} is not valid protobuf text format (${position}): ${what}`);
}

function unquote(token: string): string {
  return token.slice(1, -1).replace(/\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)/g, (_, e: string) => {
    if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]/.test(e)) return String.fromCharCode(parseInt(e, 8));
    return ESCAPES[e] ?? e;
  });
}

function scalar(token: string): string | number | boolean {
  if (NUMBER.test(token)) {
    const digits = token.replace(/[fFuUlL]+$/, '');
    const hex = /^([-+]?)0[xX]/.exec(digits);
    return hex
      ? (hex[1] === '-' ? -1 : 1) * Number(digits.slice(hex[0].length - 2).replace(/^[-+]/, ''))
      : Number(digits);
  }
  if (token === 'true' || token === 'True' || token === 't') return true;
  if (token === 'false' || token === 'False' || token === 'f') return false;
  return token; // an enum value, or inf / nan as written
}

/** Parses protobuf text format (see the module comment); `where` names the text in errors. */
export function parseTextFormat(text: string, where: string, schema: TextFormatSchema): TextMessage {
  const tokens = tokenize(text, where);
  let i = 0;
  const fail = (what: string): never => {
    throw syntaxError(text, tokens[i]?.at ?? text.length, where, what);
  };
  const peek = (): string | undefined => tokens[i]?.text;
  const take = (expected?: string): string => {
    const token = tokens[i];
    if (token === undefined) return fail(expected ? `expected '${expected}', found the end` : 'unexpected end');
    if (expected !== undefined && token.text !== expected) fail(`expected '${expected}', found '${token.text}'`);
    i++;
    return token.text;
  };
  const value = (): TextValue => {
    const token = peek();
    if (token === '{' || token === '<') return message(token === '{' ? '}' : '>');
    if (token === undefined || /^[{}<>[\]:,;]$/.test(token))
      return fail(`expected a value, found '${token ?? 'the end'}'`);
    if (token.startsWith('"') || token.startsWith("'")) {
      let joined = '';
      while (peek()?.startsWith('"') || peek()?.startsWith("'")) joined += unquote(take());
      return joined;
    }
    return scalar(take());
  };
  const message = (close: string | undefined): TextMessage => {
    if (close !== undefined) take();
    const fields: TextMessage = {};
    while (peek() !== close) {
      const name = take();
      if (!/^[A-Za-z_][\w.]*$/.test(name) || name === '__proto__') fail(`expected a field name, found '${name}'`);
      let colon = false;
      if (peek() === ':') colon = (take(), true);
      let values: TextValue[];
      const list = peek() === '[';
      if (list) {
        take();
        values = [];
        while (peek() !== ']') {
          values.push(value());
          if (peek() === ',') take();
          else if (peek() !== ']') fail(`expected ',' or ']', found '${peek() ?? 'the end'}'`);
        }
        take(']');
      } else {
        if (!colon && peek() !== '{' && peek() !== '<') fail(`expected ':' or '{' after ${name}`);
        values = [value()];
      }
      const before = fields[name];
      if (before === undefined) fields[name] = list || schema.repeated.has(name) ? values : values[0]!;
      else fields[name] = [...(Array.isArray(before) ? before : [before]), ...values];
      if (peek() === ',' || peek() === ';') take();
    }
    if (close !== undefined) take(close);
    for (const name of schema.maps) if (fields[name] !== undefined) fields[name] = asMap(fields[name]!, name, fail);
    return fields;
  };
  return message(undefined);
}

function asMap(entries: TextValue, name: string, fail: (what: string) => never): TextMessage {
  const map: TextMessage = {};
  for (const entry of Array.isArray(entries) ? entries : [entries]) {
    const e = entry as TextMessage;
    const key = typeof e === 'object' && !Array.isArray(e) ? e['key'] : undefined;
    const value = typeof key === 'string' ? e['value'] : undefined;
    if (typeof key !== 'string' || key === '__proto__' || value === undefined) {
      return fail(`${name} entries must be { key: "…" value: … }`);
    }
    map[key] = value;
  }
  return map;
}
