/**
 * Reading a Dockerfile without a Docker engine: its instructions (comments dropped, backslash
 * continuations joined), by keyword, and the command the image runs (ENTRYPOINT then CMD, exec form).
 */
import * as fs from 'node:fs';

export interface Instruction {
  keyword: string;
  args: string;
}

/** The instructions of a Dockerfile: comments dropped, backslash continuations joined. */
export function parseDockerfile(text: string): Instruction[] {
  const logical: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    logical.push(pending + line);
    pending = '';
  }
  return logical.map((l) => {
    const space = l.search(/\s/);
    return { keyword: l.slice(0, space).toUpperCase(), args: l.slice(space + 1).trim() };
  });
}

/** A Dockerfile read from `path`: every instruction's arguments by keyword, and the image's command. */
export function readDockerfile(path: string) {
  const instructions = parseDockerfile(fs.readFileSync(path, 'utf8'));
  const all = (keyword: string): string[] => instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
  const last = (keyword: string): string | undefined => all(keyword).at(-1);
  /** ENTRYPOINT then CMD of the final stage, both in exec (JSON) form. */
  const argv = (): string[] => {
    const entry = last('ENTRYPOINT');
    const cmd = last('CMD');
    return [...(entry ? (JSON.parse(entry) as string[]) : []), ...(cmd ? (JSON.parse(cmd) as string[]) : [])];
  };
  /** ENV of the final stage, `NAME=value` pairs (values without spaces or quotes). */
  const env = (): Record<string, string> => {
    const finalStart = instructions.map((i) => i.keyword).lastIndexOf('FROM');
    const pairs = instructions
      .slice(finalStart)
      .filter((i) => i.keyword === 'ENV')
      .flatMap((i) => i.args.split(/\s+/));
    return Object.fromEntries(pairs.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
  };
  return { instructions, all, last, argv, env };
}
