/**
 * The images and manifests run the CLI that exists: each of Dockerfile, Dockerfile.gpu,
 * deploy/kserve/serving-runtime.yaml (with its InferenceService) and deploy/modelmesh/serving-runtime.yaml
 * is read (the YAML with the `yaml` package), the compiled CLI is started with exactly its command,
 * arguments and environment, and the paths its health checks and probes name are probed on the ports it
 * declares. Two substitutions only: the model folder (/models, /mnt/models) becomes a temporary one, and
 * each port number becomes 0 after checking that the ports declared (EXPOSE, containerPort, probe ports,
 * ModelMesh's endpoints) are the ones in the arguments; the ports bound are read from the CLI's own lines.
 * The ModelMesh runtime is then driven the way ModelMesh's built-in Triton adapter drives it, over gRPC.
 */
import * as fs from 'node:fs';
import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { compileSources, startCli, stopCli, waitForOutput, type CliChild } from '../cli/cli-child';
import { IRIS_FILE, IRIS_INPUT, writeFiles } from '../cli/repository-support';
import { inferClient } from '../server/grpc-client';
import { readDockerfile } from './dockerfile-support';

const ROOT = path.resolve(__dirname, '..', '..');

interface Probe {
  httpGet: { path: string; port: number };
}
interface Container {
  name: string;
  args: string[];
  env?: Array<{ name: string; value: string }>;
  ports?: Array<{ containerPort: number }>;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
}
interface ServingRuntime {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    supportedModelFormats: Array<{ name: string }>;
    protocolVersions: string[];
    multiModel?: boolean;
    grpcEndpoint?: string;
    grpcDataEndpoint?: string;
    containers: Container[];
    builtInAdapter?: {
      serverType: string;
      runtimeManagementPort: number;
      memBufferBytes: number;
      modelLoadingTimeoutMillis: number;
    };
  };
}

function readYaml<T>(file: string): T {
  return parseYaml(fs.readFileSync(path.join(ROOT, file), 'utf8')) as T;
}

/** `--name=value` and `--name value` both; undefined when absent. */
function flagValue(args: string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === name) return args[i + 1];
    if (args[i]!.startsWith(`${name}=`)) return args[i]!.slice(name.length + 1);
  }
  return undefined;
}

/** The arguments with the model folder replaced and every port set to 0 (see the file comment). */
function localArgs(args: string[], modelDir: string, repository: string): string[] {
  return args.map((arg) =>
    arg
      .replace(modelDir, repository)
      .replace(/^(--port=|--grpc-port=)\d+$/, '$10')
      .replace(/^\d{4,5}$/, '0'),
  );
}

let build: string;
const clis: CliChild[] = [];
beforeAll(() => {
  build = compileSources('deploy');
}, 120_000);
afterAll(() => clis.forEach(stopCli));

/** Starts the CLI; resolves with the HTTP URL and the gRPC target it bound. */
async function start(args: string[], env: Record<string, string>): Promise<{ url: string; grpc: string }> {
  const cli = startCli(build, args, env);
  clis.push(cli);
  const http = await waitForOutput(cli, /"listening on http:\/\/[^:]+:(\d+)/);
  const grpc = await waitForOutput(cli, /gRPC listening on [^"]*:(\d+)/);
  return { url: `http://127.0.0.1:${http[1]}`, grpc: `127.0.0.1:${grpc[1]}` };
}

async function status(url: string): Promise<number> {
  return (await fetch(url)).status;
}

async function post(url: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function repository(files: Parameters<typeof writeFiles>[1]): string {
  return writeFiles(mkdtempSync(path.join(tmpdir(), 'gs-deploy-')), files);
}

describe.each(['Dockerfile', 'Dockerfile.gpu'])('%s', (file) => {
  const docker = readDockerfile(path.join(ROOT, file));

  it('declares the ports its command serves, and runs as a non-root user with a node health check', () => {
    const argv = docker.argv();
    const ports = docker.all('EXPOSE').flatMap((e) => e.split(/\s+/));
    expect(ports).toContain(flagValue(argv, '--port'));
    const grpc = flagValue(argv, '--grpc-port');
    if (grpc !== undefined) expect(ports).toContain(grpc);
    expect(docker.last('USER')!.split(':')[0]).not.toMatch(/^(root|0)?$/);
    expect(docker.last('HEALTHCHECK')).toMatch(
      /CMD \["node", "-e", "fetch\('http:\/\/127\.0\.0\.1:8080\/v2\/health\/ready'\)/,
    );
  });

  it('starts graphserve with its command and environment, and its health check path answers 200', async () => {
    const argv = docker.argv();
    const bin = (
      JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> }
    ).bin;
    // `graphserve` is the package's bin: dist/src/cli/main.js, which startCli runs from this test's build.
    expect(bin[argv[0]!]).toBe('dist/src/cli/main.js');
    expect(argv[1]).toBe('serve');
    const { PATH: _path, ...env } = docker.env();
    const repo = repository({ 'iris/model.onnx': IRIS_FILE });
    const { url, grpc } = await start(localArgs(argv.slice(2), '/models', repo), env);
    const check = docker.last('HEALTHCHECK')!;
    const probePath = /127\.0\.0\.1:\d+(\/[^']+)'/.exec(check)![1]!;
    expect(await status(`${url}${probePath}`)).toBe(200);
    expect((await post(`${url}/v2/models/iris/infer`, IRIS_INPUT)).status).toBe(200);
    const client = inferClient(grpc);
    try {
      expect(await client.call('ServerReady', {})).toEqual({ ready: true });
    } finally {
      client.close();
    }
  });
});

describe('deploy/kserve', () => {
  const runtime = readYaml<ServingRuntime>('deploy/kserve/serving-runtime.yaml');
  const service = readYaml<{
    apiVersion: string;
    kind: string;
    metadata: { name: string };
    spec: { predictor: { model: { modelFormat: { name: string }; runtime: string; protocolVersion: string } } };
  }>('deploy/kserve/inference-service.yaml');
  const container = runtime.spec.containers[0]!;

  it('is a ServingRuntime for onnx over v2 on HTTP 8080 and gRPC 8081, used by the InferenceService', () => {
    expect([runtime.apiVersion, runtime.kind]).toEqual(['serving.kserve.io/v1alpha1', 'ServingRuntime']);
    expect(runtime.spec.supportedModelFormats.map((f) => f.name)).toContain('onnx');
    expect(runtime.spec.protocolVersions).toEqual(expect.arrayContaining(['v2', 'grpc-v2']));
    expect(container.name).toBe('kserve-container');
    expect([flagValue(container.args, '--port'), flagValue(container.args, '--grpc-port')]).toEqual(['8080', '8081']);
    expect(container.ports!.map((p) => p.containerPort)).toEqual([8080, 8081]);
    for (const probe of [container.livenessProbe!, container.readinessProbe!]) expect(probe.httpGet.port).toBe(8080);
    expect([service.apiVersion, service.kind]).toEqual(['serving.kserve.io/v1beta1', 'InferenceService']);
    const model = service.spec.predictor.model;
    expect(model.runtime).toBe(runtime.metadata.name);
    expect(runtime.spec.supportedModelFormats.map((f) => f.name)).toContain(model.modelFormat.name);
    expect(model.protocolVersion).toBe('v2');
  });

  it("starts graphserve with the container's arguments on the storage initializer's layout; its probes answer 200", async () => {
    expect(container.args[0]).toBe('serve');
    // KServe fills {{.Name}} with the InferenceService's name; the storage initializer puts its model in /mnt/models.
    const args = container.args.slice(1).map((a) => a.replace('{{.Name}}', service.metadata.name));
    const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));
    const { url, grpc } = await start(localArgs(args, '/mnt/models', repository({ 'model.onnx': IRIS_FILE })), env);
    for (const probe of [container.livenessProbe!, container.readinessProbe!]) {
      expect([probe.httpGet.path, await status(`${url}${probe.httpGet.path}`)]).toEqual([probe.httpGet.path, 200]);
    }
    const res = await post(`${url}/v2/models/${service.metadata.name}/infer`, IRIS_INPUT);
    expect(res).toMatchObject({ status: 200, body: { model_name: service.metadata.name } });
    const client = inferClient(grpc);
    try {
      const meta = await client.call<{ name: string }>('ModelMetadata', { name: service.metadata.name });
      expect(meta.name).toBe(service.metadata.name);
    } finally {
      client.close();
    }
  });
});

describe('deploy/modelmesh', () => {
  const runtime = readYaml<ServingRuntime>('deploy/modelmesh/serving-runtime.yaml');
  const container = runtime.spec.containers[0]!;
  const adapter = runtime.spec.builtInAdapter!;

  it("is a multi-model runtime in the custom-runtime guide's form, for ModelMesh's built-in Triton adapter", () => {
    expect([runtime.apiVersion, runtime.kind, runtime.spec.multiModel]).toEqual([
      'serving.kserve.io/v1alpha1',
      'ServingRuntime',
      true,
    ]);
    expect(runtime.spec.supportedModelFormats.map((f) => f.name)).toContain('onnx');
    // The adapter finds the runtime's container by the server type's name.
    expect(adapter.serverType).toBe('triton');
    expect(container.name).toBe(adapter.serverType);
    expect(adapter.memBufferBytes).toBeGreaterThan(0);
    expect(adapter.modelLoadingTimeoutMillis).toBeGreaterThan(0);
    // Repository calls (runtimeManagementPort) and inference (grpcDataEndpoint) both reach graphserve's gRPC port.
    const grpcPort = flagValue(container.args, '--grpc-port');
    expect(String(adapter.runtimeManagementPort)).toBe(grpcPort);
    expect(runtime.spec.grpcDataEndpoint).toBe(`port:${grpcPort}`);
    expect(runtime.spec.grpcEndpoint).toMatch(/^port:\d+$/);
    expect(runtime.spec.grpcEndpoint).not.toBe(`port:${grpcPort}`);
    // The adapter writes its models under ROOT_MODEL_DIR (/models) + _triton_models, and loads them by name.
    expect(flagValue(container.args, '--model-repository')).toBe('/models/_triton_models');
    expect(flagValue(container.args, '--model-control-mode')).toBe('explicit');
    expect(container.livenessProbe!.httpGet.port).toBe(Number(flagValue(container.args, '--port')));
  });

  it('starts before the models folder exists, then loads, serves and unloads as the adapter asks over gRPC', async () => {
    expect(container.args[0]).toBe('serve');
    const models = mkdtempSync(path.join(tmpdir(), 'gs-mm-'));
    const repo = path.join(models, '_triton_models');
    const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));
    const { url, grpc } = await start(localArgs(container.args.slice(1), '/models/_triton_models', repo), env);
    expect(await status(`${url}${container.livenessProbe!.httpGet.path}`)).toBe(200);
    const client = inferClient(grpc);
    try {
      // RuntimeStatus: ServerReady, then RepositoryIndex {ready: true} (it unloads what is listed), ServerMetadata.
      expect(await client.call('ServerReady', {})).toEqual({ ready: true });
      expect(await client.call('RepositoryIndex', { ready: true })).toEqual({ models: [] });
      expect((await client.call<{ version: string }>('ServerMetadata', {})).version).toMatch(/^\d+\.\d+/);
      // LoadModel: the puller's copy, linked as <id>/1/model.onnx, then RepositoryModelLoad {model_name: id}.
      const id = 'iris__isvc-3f2a';
      writeFiles(models, { [`${id}/model.onnx`]: IRIS_FILE });
      fs.mkdirSync(path.join(repo, id, '1'), { recursive: true });
      symlinkSync(path.join(models, id, 'model.onnx'), path.join(repo, id, '1', 'model.onnx'));
      expect(await client.call('RepositoryModelLoad', { model_name: id })).toEqual({});
      const meta = await client.call<{ name: string; versions: string[] }>('ModelMetadata', { name: id });
      expect(meta.name).toBe(id);
      const index = await client.call<{ models: Array<{ name: string; state: string }> }>('RepositoryIndex', {
        ready: true,
      });
      expect(index.models).toEqual([expect.objectContaining({ name: id, state: 'READY' })]);
      expect((await post(`${url}/v2/models/${id}/infer`, IRIS_INPUT)).status).toBe(200);
      // UnloadModel: RepositoryModelUnload {model_name: id}; an unknown name is NOT_FOUND, which the adapter accepts.
      expect(await client.call('RepositoryModelUnload', { model_name: id })).toEqual({});
      await expect(client.call('RepositoryModelUnload', { model_name: 'never-loaded' })).rejects.toMatchObject({
        code: 5,
      });
      expect(await client.call('ServerReady', {})).toEqual({ ready: true });
    } finally {
      client.close();
    }
  });
});
