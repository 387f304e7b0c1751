/**
 * The HTTP peer for the http-* scenarios: what a user would write without graphserve. Plain fastify
 * plus onnxruntime-node, one `session.run` per request (no batching), OIP JSON and Triton binary
 * request bodies decoded the simple way, a JSON response. It also serves `POST /echo`, which parses a
 * JSON body and sends it back re-encoded (the floor for any JSON-over-HTTP server).
 *
 *   node dist/bench/peer/server.js --model FILE [--name NAME] [--threads N] [--spinning on|off] [--port P]
 *   node dist/bench/peer/server.js --echo-only [--port P]
 *
 * Listens on 127.0.0.1 only and prints `peer: listening on URL` once bound. Exits on SIGTERM/SIGINT.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import * as ort from 'onnxruntime-node';

interface PeerArgs {
  model?: string;
  name: string;
  threads: number;
  spinning: boolean;
  port: number;
}

interface OipTensor {
  name: string;
  datatype: string;
  shape: number[];
  data?: number[];
  parameters?: { binary_data_size?: number };
}

const HEADER_LENGTH = 'inference-header-content-length';

function parseArgs(argv: readonly string[]): PeerArgs {
  const args: PeerArgs = { name: 'model', threads: 2, spinning: false, port: 0 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1] ?? '';
    if (flag === '--echo-only') continue;
    if (flag === '--model') args.model = value;
    else if (flag === '--name') args.name = value;
    else if (flag === '--threads') args.threads = Number(value);
    else if (flag === '--spinning') args.spinning = value === 'on';
    else if (flag === '--port') args.port = Number(value);
    else throw new Error(`unknown argument ${String(flag)}`);
    i++;
  }
  return args;
}

/** The request's tensors: JSON `data` as is, binary inputs as Float32Arrays over a copy of their bytes. */
function decodeInputs(
  body: Buffer,
  headerLength: string | undefined,
): Array<{ tensor: OipTensor; data: Float32Array }> {
  const jsonEnd = headerLength === undefined ? body.length : Number(headerLength);
  const request = JSON.parse(body.subarray(0, jsonEnd).toString('utf8')) as { inputs: OipTensor[] };
  let offset = jsonEnd;
  return request.inputs.map((tensor) => {
    const size = tensor.parameters?.binary_data_size;
    if (size === undefined) return { tensor, data: Float32Array.from(tensor.data ?? []) };
    const bytes = new Uint8Array(body.subarray(offset, offset + size)); // a copy, aligned
    offset += size;
    return { tensor, data: new Float32Array(bytes.buffer, 0, size / 4) };
  });
}

async function infer(session: ort.InferenceSession, name: string, body: Buffer, headerLength?: string) {
  const feeds: Record<string, ort.Tensor> = {};
  for (const { tensor, data } of decodeInputs(body, headerLength)) {
    feeds[tensor.name] = new ort.Tensor('float32', data, tensor.shape);
  }
  const results = await session.run(feeds);
  return {
    model_name: name,
    outputs: session.outputNames.map((output) => {
      const t = results[output] as ort.Tensor;
      return { name: output, datatype: 'FP32', shape: t.dims, data: Array.from(t.data as Float32Array) };
    }),
  };
}

function buildApp(session: ort.InferenceSession | undefined, name: string): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024 * 1024 });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.post('/echo', async (req, reply) => {
    reply.header('content-type', 'application/json; charset=utf-8');
    return JSON.stringify(JSON.parse((req.body as Buffer).toString('utf8')));
  });
  if (session !== undefined) {
    app.post(`/v2/models/${name}/infer`, async (req, reply) => {
      const headerLength = req.headers[HEADER_LENGTH];
      const result = await infer(session, name, req.body as Buffer, headerLength as string | undefined);
      reply.header('content-type', 'application/json; charset=utf-8');
      return JSON.stringify(result);
    });
  }
  return app;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const spin = args.spinning ? '1' : '0';
  const session =
    args.model === undefined
      ? undefined
      : await ort.InferenceSession.create(args.model, {
          executionProviders: ['cpu'],
          intraOpNumThreads: args.threads,
          graphOptimizationLevel: 'all',
          extra: { session: { intra_op: { allow_spinning: spin }, inter_op: { allow_spinning: spin } } },
        });
  const app = buildApp(session, args.name);
  const url = await app.listen({ host: '127.0.0.1', port: args.port });
  const stop = (): void => {
    void app.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdout.write(`peer: listening on ${url}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`peer: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
