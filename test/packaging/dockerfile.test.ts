/**
 * Dockerfile.gpu cannot be built on these machines (no Docker engine), so its contract is checked by
 * reading it: image names without registry hosts, a non-root user, a node-based health check on
 * /v2/health/ready, the graphserve serve command, and only npm scripts that exist.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseDockerfile } from './dockerfile-support';

const ROOT = path.resolve(__dirname, '..', '..');

const instructions = parseDockerfile(fs.readFileSync(path.join(ROOT, 'Dockerfile.gpu'), 'utf8'));
const all = (keyword: string): string[] => instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
const last = (keyword: string): string | undefined => all(keyword).at(-1);

/** ARG defaults, for resolving `FROM ${NAME}`. */
const argDefaults = new Map(
  all('ARG')
    .map((a) => /^(\w+)=(\S+)$/.exec(a))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => [m[1]!, m[2]!]),
);

function resolveArgs(text: string): string {
  return text.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => {
    return argDefaults.get((a ?? b)!) ?? '';
  });
}

/** Base images (FROM, resolved) and their stage names. */
const stages = all('FROM').map((args) => {
  const [image, as, name] = args.split(/\s+/);
  return { image: resolveArgs(image!), name: as?.toUpperCase() === 'AS' ? name : undefined };
});

describe('Dockerfile.gpu', () => {
  it('names images without a registry host', () => {
    const stageNames = new Set(stages.map((s) => s.name));
    const images = [
      ...stages.map((s) => s.image),
      ...all('COPY')
        .map((c) => /--from=(\S+)/.exec(c)?.[1])
        .filter((from): from is string => from !== undefined && !stageNames.has(from)),
    ];
    expect(images.length).toBeGreaterThan(0);
    for (const image of images) {
      // A registry host is a first path component with a dot or a port, or 'localhost' (Docker's rule).
      const first = image.split('/')[0]!;
      const hasHost = image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
      expect({ image, hasHost }).toEqual({ image, hasHost: false });
    }
    const text = fs.readFileSync(path.join(ROOT, 'Dockerfile.gpu'), 'utf8');
    expect(text).not.toMatch(/docker\.io|nvcr\.io|ghcr\.io|quay\.io|gcr\.io|ecr\.aws|mcr\.microsoft/);
  });

  it('runs on a CUDA 12 + cuDNN runtime base with Node 20', () => {
    expect(stages.at(-1)!.image).toMatch(/^nvidia\/cuda:12\.[\d.]+-cudnn-runtime-ubuntu22\.04$/);
    expect(stages.some((s) => /^node:20[-.\w]*$/.test(s.image))).toBe(true);
  });

  it('runs the final stage as a non-root user', () => {
    const finalStart = instructions.map((i) => i.keyword).lastIndexOf('FROM');
    const users = instructions.slice(finalStart).filter((i) => i.keyword === 'USER');
    expect(users.length).toBeGreaterThan(0);
    const user = users.at(-1)!.args.split(':')[0]!;
    expect(['root', '0', '']).not.toContain(user);
  });

  it('checks health on /v2/health/ready with node, not curl or wget', () => {
    const check = last('HEALTHCHECK');
    expect(check).toBeDefined();
    expect(check).toContain('/v2/health/ready');
    const command = JSON.parse(check!.slice(check!.indexOf('CMD') + 3).trim()) as string[];
    expect(command[0]).toBe('node');
    expect(check).not.toMatch(/\b(curl|wget)\b/);
  });

  it('starts the graphserve serve command on /models, port 8080', () => {
    const entry = last('ENTRYPOINT');
    const cmd = last('CMD');
    const argv = [...(entry ? (JSON.parse(entry) as string[]) : []), ...(JSON.parse(cmd!) as string[])];
    expect(path.basename(argv[0]!)).toBe('graphserve');
    expect(argv.slice(1)).toEqual(['serve', '--model-repository', '/models', '--host', '0.0.0.0', '--port', '8080']);
  });

  it('runs only npm scripts that exist in package.json', () => {
    const scripts = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: object })
      .scripts;
    const used = all('RUN').flatMap((r) => [...r.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]!));
    expect(used.length).toBeGreaterThan(0);
    for (const script of used) expect(Object.keys(scripts)).toContain(script);
  });

  it('installs onnxruntime-node with its CUDA 12 provider in the build stage', () => {
    expect(all('ENV').some((e) => /ONNXRUNTIME_NODE_INSTALL=cuda12/.test(e))).toBe(true);
    const runs = all('RUN').join('\n');
    // package.json denies its install script (allowScripts), so the image must run it by name.
    expect(runs).toContain('node node_modules/onnxruntime-node/script/install.js');
    expect(runs).toContain('libonnxruntime_providers_cuda.so');
    expect(runs).toContain('libonnxruntime_providers_shared.so');
  });
});
