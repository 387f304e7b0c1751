/**
 * The README's example: a model server class, a router with two models, and an in-process test of it
 * with the mock server (test/examples/readme.test.ts runs this file).
 */
import { V2ModelServer, newFunction, type ModelRequest } from '../src';

export class Multiplier extends V2ModelServer {
  #factor = 1;

  // Called once, before the model serves (in the background with loadMode 'async').
  override async load(): Promise<void> {
    this.#factor = Number(this.getParam('multiplier', 1));
  }

  // Called for every request, concurrently; the return value becomes `outputs`.
  override predict(request: ModelRequest<number>): number[] {
    return request.inputs.map((x) => x * this.#factor);
  }
}

export async function demo() {
  const fn = newFunction('demo');
  fn.setTopology('router');
  fn.addModel('double', { className: Multiplier, multiplier: 2 });
  fn.addModel('triple', { className: 'Multiplier', multiplier: 3 });
  const server = await fn.toMockServer({ namespace: { Multiplier } });
  const res = await server.test('/v2/models/triple/infer', { inputs: [1, 2, 5] });
  await server.waitForCompletion();
  return res; // { id, model_name: 'triple', outputs: [3, 6, 15], timestamp }
}
