/**
 * Helpers for the model repository tests: repositories written into temporary folders (the iris ONNX
 * model copied where asked), a repository server over real HTTP on port 0, and a bounded wait on
 * observable state.
 */
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildRepositoryServer, disposeModels, type RepositoryServerOptions } from '../../src/cli/repository-server';
import type { GraphServer } from '../../src/graph-server/graph-server';
import { serve, type RunningServer } from '../../src/server/http/http';
import { silentLogger } from '../../src/step/context';

export const IRIS = join(__dirname, '..', '..', 'examples', 'models', 'iris', 'model.onnx');
/** Stands for a copy of the iris model in a repository description. */
export const IRIS_FILE = Symbol('iris');

export type RepoFiles = Record<string, string | Buffer | typeof IRIS_FILE>;

/** Writes `files` (paths relative to `root`, folders made as needed); returns `root`. */
export function writeFiles(root: string, files: RepoFiles): string {
  for (const [path, data] of Object.entries(files)) {
    const full = join(root, path);
    mkdirSync(dirname(full), { recursive: true });
    if (data === IRIS_FILE) copyFileSync(IRIS, full);
    else writeFileSync(full, data);
  }
  return root;
}

/** A new repository folder holding `files`. */
export function makeRepo(files: RepoFiles): string {
  const root = mkdtempSync(join(tmpdir(), 'gs-repo-api-'));
  mkdirSync(join(root, 'repo'));
  return writeFiles(join(root, 'repo'), files);
}

/** A parsed JSON answer, typed as JSON.parse types it (tests read fields they know are there). */
type ParsedJson = ReturnType<typeof JSON.parse>;

export interface Served {
  server: GraphServer;
  http: RunningServer;
  lines: string[];
  /** An HTTP call: the status and the parsed JSON body. */
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: ParsedJson }>;
  close(): Promise<void>;
}

/** Serves a repository over HTTP on 127.0.0.1, port 0. */
export async function serveRepo(options: RepositoryServerOptions): Promise<Served> {
  const lines: string[] = [];
  const server = await buildRepositoryServer({ logger: silentLogger, ...options }, (l) => lines.push(l));
  const http = await serve(server, { host: '127.0.0.1', port: 0 });
  const call = async (method: string, path: string, body?: unknown) => {
    const init: RequestInit = { method, headers: { 'content-type': 'application/json' } };
    if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
    const res = await fetch(`${http.url}${path}`, init);
    const text = await res.text();
    return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
  };
  const close = async (): Promise<void> => {
    await http.close();
    await disposeModels(server);
  };
  return { server, http, lines, call, close };
}

/** Resolves once `check` resolves truthy; rejects with `what` after `ms` (a bound, not a timing assertion). */
export async function waitFor<T>(what: string, check: () => Promise<T> | T, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const IRIS_INPUT = { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [5.1, 3.5, 1.4, 0.2] }] };
