/**
 * Logging through pino (src/logging.ts): JSON lines by default, text for people, levels, and the request
 * id on every line logged while a request runs, by graphserve or by a model through context.logger, on a
 * real HTTP server on loopback.
 */
import { newFunction } from '../../src/function/function';
import { createLogger, formatTextLine, lineLoggerOf, setRequestIdScope } from '../../src/logging';
import { serve, type RunningServer } from '../../src/server/http/http';
import { serveGrpc, type RunningGrpcServer } from '../../src/server/grpc/grpc';
import { inferClient } from './grpc-client';
import { Metadata } from '@grpc/grpc-js';
import { V2ModelServer } from '../../src/model/v2-model-server';
import type { ModelRequest } from '../../src/model/types';

/** Collects what a logger writes, one parsed JSON object per line. */
function capture(): { lines: string[]; records: () => Array<Record<string, unknown>>; write(line: string): void } {
  const lines: string[] = [];
  return {
    lines,
    write: (line: string) => void lines.push(line),
    records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

/** A model whose predict() always fails: graphserve logs the 500 itself. */
class Broken extends V2ModelServer {
  override load(): void {
    this.model = 'broken';
  }

  override predict(): number[] {
    this.context.logger.info('about to fail');
    throw new Error('broken on purpose');
  }
}

/** Logs one info line per request through its context's logger, then echoes. */
class Chatty extends V2ModelServer {
  override load(): void {
    this.model = 'echo';
  }

  override predict(request: ModelRequest<number>): number[] {
    this.context.logger.info('predicting', { rows: request.inputs.length });
    return request.inputs;
  }
}

describe('log lines', () => {
  it('are JSON objects with level, time and msg, the extra fields merged in', () => {
    const sink = capture();
    lineLoggerOf(createLogger({ destination: sink })).warn('disk almost full', { freeBytes: 12 });
    expect(sink.records()).toEqual([
      expect.objectContaining({ level: 40, msg: 'disk almost full', freeBytes: 12, time: expect.any(String) }),
    ]);
    expect(sink.lines[0]!.endsWith('\n')).toBe(true);
  });

  it('drop what is below the level', () => {
    const sink = capture();
    const log = lineLoggerOf(createLogger({ level: 'warn', destination: sink }));
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    expect(sink.records().map((r) => r['msg'])).toEqual(['w', 'e']);
  });

  it('read as text for people with --log-format text', () => {
    const sink = capture();
    createLogger({ format: 'text', destination: sink }).info({ model: 'iris', note: 'two words' }, 'loaded');
    expect(sink.lines).toEqual([
      expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z INFO loaded model=iris note="two words"\n$/),
    ]);
  });

  it('show an error stack under the text line', () => {
    const err = new Error('boom');
    const line = JSON.stringify({ level: 50, time: 't', msg: 'failed', err: { message: 'boom', stack: err.stack } });
    expect(formatTextLine(line)).toMatch(/^t ERROR failed\nError: boom\n\s+at /);
  });
});

describe("request ids with the default scope ('server')", () => {
  let server: RunningServer;
  const sink = capture();

  beforeAll(async () => {
    const log = createLogger({ destination: sink });
    const fn = newFunction('logging-server-scope');
    fn.setTopology('router');
    fn.addModel('broken', { className: Broken });
    server = await serve(await fn.toGraphServer({ logger: lineLoggerOf(log) }), {
      host: '127.0.0.1',
      port: 0,
      loggerInstance: log,
    });
  });

  afterAll(async () => {
    await server?.close();
  });

  it("are on graphserve's own line about a failed request, not on the model's own lines", async () => {
    const res = await fetch(`${server.url}/v2/models/broken/infer`, {
      method: 'POST',
      headers: { 'x-request-id': 'req-server-scope' },
      body: '{"inputs": [1]}',
    });
    expect(res.status).toBe(500);
    const records = sink.records();
    expect(records.find((r) => r['msg'] === 'broken on purpose')).toMatchObject({ reqId: 'req-server-scope' });
    expect(records.find((r) => r['msg'] === 'about to fail')).not.toHaveProperty('reqId');
  });
});

describe("request ids with the scope 'all' (--log-request-ids all)", () => {
  let server: RunningServer;
  let grpc: RunningGrpcServer;
  const sink = capture();

  beforeAll(async () => {
    setRequestIdScope('all');
    const log = createLogger({ destination: sink });
    const fn = newFunction('logging');
    fn.setTopology('router');
    fn.addModel('chatty', { className: Chatty });
    const graph = await fn.toGraphServer({ logger: lineLoggerOf(log) });
    server = await serve(graph, { host: '127.0.0.1', port: 0, loggerInstance: log });
    grpc = await serveGrpc(graph, { host: '127.0.0.1', port: 0 });
  });

  afterAll(async () => {
    setRequestIdScope('server');
    await grpc?.close();
    await server?.close();
  });

  async function infer(headers: Record<string, string>): Promise<string> {
    const res = await fetch(`${server.url}/v2/models/chatty/infer`, {
      method: 'POST',
      headers,
      body: '{"inputs": [1, 2, 3]}',
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { id: string }).id;
  }

  it("carry the client's x-request-id on a model's own line", async () => {
    await infer({ 'x-request-id': 'req-from-client-1' });
    const line = sink.records().find((r) => r['reqId'] === 'req-from-client-1');
    expect(line).toMatchObject({ level: 30, msg: 'predicting', rows: 3 });
  });

  it('carry a generated id, the one the answer reports, when the client sends none', async () => {
    const id = await infer({});
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(sink.records().filter((r) => r['reqId'] === id)).toEqual([expect.objectContaining({ msg: 'predicting' })]);
  });

  it('keep concurrent requests apart', async () => {
    const ids = Array.from({ length: 8 }, (_, i) => `concurrent-${i}`);
    await Promise.all(ids.map((id) => infer({ 'x-request-id': id })));
    for (const id of ids) expect(sink.records().filter((r) => r['reqId'] === id)).toHaveLength(1);
  });

  it("carry a gRPC call's x-request-id metadata, like HTTP's header", async () => {
    const client = inferClient(grpc.target);
    const metadata = new Metadata();
    metadata.set('x-request-id', 'grpc-call-1');
    const request = {
      model_name: 'chatty',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [3], contents: { fp32_contents: [1, 2, 3] } }],
    };
    try {
      await client.call('ModelInfer', request, { metadata }).catch(() => undefined); // the answer is not the point
    } finally {
      client.close();
    }
    expect(sink.records().filter((r) => r['reqId'] === 'grpc-call-1')).toEqual([
      expect.objectContaining({ msg: 'predicting' }),
    ]);
  });

  it('are absent from lines logged outside any request', () => {
    const sink2 = capture();
    createLogger({ destination: sink2 }).info('idle');
    expect(sink2.records()[0]).not.toHaveProperty('reqId');
  });
});
