/** JSON text parsing with errors a client can act on. */
import { BadRequestError } from '../errors';

/** Longest part of the parser's message repeated to the client (it may quote the body). */
const MAX_MESSAGE = 200;

function lineAndColumn(text: string, position: number): string {
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - before.lastIndexOf('\n');
  return `line ${line}, column ${column}`;
}

/**
 * Parses JSON text; a malformed text throws BadRequestError saying what was being parsed and where it
 * broke (position, line and column when the parser reports them).
 */
export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const short = message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}...` : message;
    const match = /at position (\d+)/.exec(message);
    const where = match ? ` (${lineAndColumn(text, Number(match[1]))})` : '';
    const empty = text.trim() === '' ? ' (the body is empty)' : '';
    throw new BadRequestError(`malformed JSON in ${what}${where}${empty}: ${short}`, { cause: err });
  }
}
