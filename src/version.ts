/**
 * graphserve's own name and version, read once from its package.json (found from this file upward, so
 * it works from src/ under ts-jest and from dist/src/ once compiled or installed).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const SERVER_NAME = 'graphserve';

function readVersion(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (manifest.name === SERVER_NAME && typeof manifest.version === 'string') return manifest.version;
    }
    if (dirname(dir) === dir) return '0.0.0';
  }
}

/** The package version, e.g. '0.1.0'. */
export const SERVER_VERSION: string = readVersion();
