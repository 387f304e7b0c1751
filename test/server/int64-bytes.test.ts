/**
 * Values that JSON and C strings tend to lose, end to end over HTTP against real ONNX models:
 * INT64/UINT64 integers beyond 2^53, in the OIP and MLRun dialects, and BYTES elements holding NUL
 * bytes, in JSON and the binary extension, alone and batched with other requests.
 */
import { join } from 'node:path';
import { silentLogger } from '../../src/step/context';
import { HEADER_LENGTH } from '../../src/protocol';
import { elementsToBinary } from '../../src/protocol/binary';
import { newFunction } from '../../src/function/function';
import '../../src/model/onnx-model-server';
import type { ModelRequest } from '../../src/model/types';
import { V2ModelServer } from '../../src/model/v2-model-server';
import type { GraphServer } from '../../src/graph-server/graph-server';
import { serve, type RunningServer } from '../../src/server/http/http';
import { splitResponse } from '../protocol/helpers';

const FIXTURES = join(__dirname, '..', 'fixtures', 'models');

/** Returns what predict() got, and the type of its first value, to show what user code sees. */
class Echo extends V2ModelServer {
  override load(): void {}
  override predict(request: ModelRequest): unknown {
    const first = (request.inputs as unknown[][])[0]![0];
    return { inputs: request.inputs, firstType: typeof first };
  }
}

const INT64 = ['4611686018427387904', '-4611686018427387904', '9007199254740993', '-9223372036854775808'];
const UINT64 = ['18446744073709551615', '4611686018427387904', '9007199254740993'];

function buildFunction() {
  const fn = newFunction('int64-bytes');
  fn.setTopology('router');
  for (const name of ['identity_int64', 'identity_uint64']) {
    fn.addModel(name, { className: 'OnnxModelServer', modelPath: join(FIXTURES, `${name}.onnx`) });
  }
  fn.addModel('echo', { className: Echo });
  fn.addModel('identity_bytes', { className: 'OnnxModelServer', modelPath: join(FIXTURES, 'identity_bytes.onnx') });
  // Four rows or nothing: four concurrent one-row requests are always run as one batch.
  fn.addModel('bytes_batched', {
    className: 'OnnxModelServer',
    modelPath: join(FIXTURES, 'identity_bytes.onnx'),
    batching: { maxBatchSize: 4, maxQueueDelayMicros: 60_000_000 },
  });
  return fn;
}

let graph: GraphServer;
let server: RunningServer;

beforeAll(async () => {
  graph = await buildFunction().toGraphServer({ logger: silentLogger });
  server = await serve(graph, { host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await server?.close();
});

async function postText(path: string, text: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: text,
  });
  return { status: res.status, text: await res.text() };
}

describe('INT64 and UINT64 beyond 2^53 over HTTP', () => {
  it.each([
    ['INT64', 'identity_int64', INT64],
    ['UINT64', 'identity_uint64', UINT64],
  ])('round-trips %s values exactly through OIP JSON', async (datatype, model, values) => {
    // the identity models take [batch, 3]: one row of three per value
    const rows = values.map((v) => `[${v}, ${v}, 1]`).join(', ');
    const res = await postText(
      `/v2/models/${model}/infer`,
      `{"id": "big", "inputs": [{"name": "x", "datatype": "${datatype}", "shape": [${values.length}, 3], "data": [${rows}]}]}`,
    );
    expect(res.status).toBe(200);
    const data = values.map((v) => `${v},${v},1`).join(',');
    expect(res.text).toBe(
      `{"model_name":"${model}","id":"big","outputs":[{"name":"y","datatype":"${datatype}","shape":[${values.length},3],"data":[${data}]}]}`,
    );
  });

  it('writes INT64 outputs that are all safe as plain numbers', async () => {
    const res = await postText(
      '/v2/models/identity_int64/infer',
      '{"inputs": [{"name": "x", "datatype": "INT64", "shape": [1, 3], "data": [1, -2, 9007199254740991]}]}',
    );
    expect(res.status).toBe(200);
    expect(res.text).toContain('"data":[1,-2,9007199254740991]');
  });

  it.each([
    ['identity_int64', INT64],
    ['identity_uint64', UINT64],
  ])('round-trips %s values exactly through the MLRun dialect', async (model, values) => {
    const rows = values.map((v) => `[${v}, 0, ${v}]`).join(', ');
    const res = await postText(`/v2/models/${model}/infer`, `{"inputs": [${rows}]}`);
    expect(res.status).toBe(200);
    expect(res.text).toContain(`"outputs":[${values.map((v) => `[${v},0,${v}]`).join(',')}]`);
  });

  it('hands big integers of the MLRun dialect to user predict() as bigint and writes them back exactly', async () => {
    const res = await postText('/v2/models/echo/infer', `{"inputs": [[${INT64[0]}, 1.5]]}`);
    expect(res.status).toBe(200);
    expect(res.text).toContain(`"outputs":{"inputs":[[${INT64[0]},1.5]],"firstType":"bigint"}`);
  });

  it('rejects an INT64 value beyond its range with 400 naming it', async () => {
    const res = await postText(
      '/v2/models/identity_int64/infer',
      '{"inputs": [{"name": "x", "datatype": "INT64", "shape": [1, 3], "data": [1, 2, 9223372036854775808]}]}',
    );
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toEqual({
      code: 'GS_INVALID_TENSOR',
      error: expect.stringContaining('element 2 is 9223372036854775808, which is not a valid INT64'),
    });
  });
});

describe('INT64 beyond 2^53 in process', () => {
  it('gives the mock server caller bigint values for outputs a number cannot hold', async () => {
    const mock = await buildFunction().toMockServer({ logger: silentLogger });
    const res = (await mock.test('/v2/models/identity_int64/infer', {
      inputs: [
        [2n ** 62n, 1, 2],
        [3, 4, 5],
      ],
    })) as { outputs: unknown };
    expect(res.outputs).toEqual([
      [2n ** 62n, 1n, 2n],
      [3n, 4n, 5n],
    ]);
    await mock.waitForCompletion();
  });
});

/** One row of three BYTES elements, each holding NUL bytes (leading, inside, trailing); all valid UTF-8. */
function nulRow(i: number): string[] {
  return [`\u0000${i}\u0000`, `row ${i}\u0000after the NUL`, `\u0000\u0000${'é'.repeat(i)}`];
}

async function inferBinary(model: string, elements: Buffer[]): Promise<Buffer[]> {
  const bytes = elementsToBinary('BYTES', elements);
  const header = Buffer.from(
    JSON.stringify({
      inputs: [
        {
          name: 'x',
          datatype: 'BYTES',
          shape: [elements.length / 3, 3],
          parameters: { binary_data_size: bytes.length },
        },
      ],
      outputs: [{ name: 'y', parameters: { binary_data: true } }],
    }),
  );
  const res = await fetch(`${server.url}/v2/models/${model}/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream', [HEADER_LENGTH]: String(header.length) },
    body: Buffer.concat([header, bytes]),
  });
  expect(res.status).toBe(200);
  const { rest } = splitResponse(Buffer.from(await res.arrayBuffer()), Number(res.headers.get(HEADER_LENGTH)));
  const out: Buffer[] = [];
  for (let at = 0; at < rest.length; at += 4 + rest.readUInt32LE(at)) {
    out.push(rest.subarray(at + 4, at + 4 + rest.readUInt32LE(at)));
  }
  return out;
}

async function inferJson(model: string, strings: string[]): Promise<unknown> {
  const res = await postText(
    `/v2/models/${model}/infer`,
    JSON.stringify({ inputs: [{ name: 'x', datatype: 'BYTES', shape: [strings.length / 3, 3], data: strings }] }),
  );
  expect(res.status).toBe(200);
  return (JSON.parse(res.text) as { outputs: Array<{ data: unknown }> }).outputs[0]!.data;
}

describe('BYTES elements with embedded NUL bytes over HTTP', () => {
  const raw = [Buffer.from([0, 1, 0]), Buffer.from('a\u0000b', 'utf8'), Buffer.from([0xff, 0x00, 0x00, 0xfe])];

  it('round-trips raw bytes through the binary extension byte for byte', async () => {
    const out = await inferBinary('identity_bytes', raw);
    expect(out.map((b) => b.toString('hex'))).toEqual(raw.map((b) => b.toString('hex')));
  });

  it('round-trips JSON strings holding \\u0000', async () => {
    const strings = [...nulRow(1), ...nulRow(2)];
    expect(await inferJson('identity_bytes', strings)).toEqual(strings);
  });

  it('gives each of several concurrent requests, batched together, its own bytes', async () => {
    const [a, b, c, d] = await Promise.all([
      inferJson('bytes_batched', nulRow(1)),
      inferBinary('bytes_batched', raw),
      inferJson('bytes_batched', nulRow(3)),
      inferBinary(
        'bytes_batched',
        nulRow(4).map((t) => Buffer.from(t, 'utf8')),
      ),
    ]);
    expect(a).toEqual(nulRow(1));
    expect(b.map((x) => x.toString('hex'))).toEqual(raw.map((x) => x.toString('hex')));
    expect(c).toEqual(nulRow(3));
    expect(d.map((x) => x.toString('utf8'))).toEqual(nulRow(4));
  });
});
