/**
 * GraphServer holds a transport's raw body only until it is decoded: at high concurrency a request waits long
 * enough for what it holds to outlive scavenges, and a raw body kept for the whole request is external memory
 * promoted per request (mark-compacts several times a second with PP-OCR JSON at c=64).
 */
import { HTTP_TRIGGER } from '../../src/event';
import { V2ModelServer, newFunction, silentLogger } from '../../src';
import { collectGarbage } from '../support/force-gc';

describe('the raw body of an event', () => {
  it('is garbage once decoded, while its request is still in flight', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let predicted = false;
    class Held extends V2ModelServer {
      override load(): void {}
      override async predict(): Promise<unknown> {
        predicted = true;
        await gate;
        return 'done';
      }
    }
    const fn = newFunction('held');
    fn.addModel('m', { className: Held });
    const server = await fn.toGraphServer({ logger: silentLogger });
    const text = JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: [1, 2] }] });
    const { answer, weak } = (() => {
      const raw = Buffer.from(text);
      const headers = { 'content-type': 'application/json' };
      const event = { id: 'r1', path: '/v2/models/m/infer', method: 'POST', headers, body: raw, trigger: HTTP_TRIGGER };
      return { answer: server.run(event), weak: new WeakRef(raw) };
    })();
    await new Promise((resolve) => setImmediate(resolve));
    expect(predicted).toBe(true); // in flight: the model holds it
    await collectGarbage();
    expect(weak.deref()).toBeUndefined();
    release();
    const response = await answer;
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ outputs: 'done' });
    await server.close();
  });
});
