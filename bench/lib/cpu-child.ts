/**
 * A CPU-bound JavaScript model for the ensemble-executors scenario: every predict runs `iterations`
 * rounds of floating-point work synchronously (no I/O), as tokenisation or pre-processing would.
 * Loaded by path in the worker threads of the 'process' executor, so it must stay importable alone.
 */
import { V2ModelServer, type ModelRequest } from '../../src';

export class CpuChild extends V2ModelServer {
  override load(): void {}

  /** One number per input: a checksum of the work, the same on every thread. */
  override predict(request: ModelRequest<number>): unknown {
    const iterations = this.getParam<number>('iterations', 1_000_000);
    return request.inputs.map((x) => {
      let acc = 0;
      for (let i = 1; i <= iterations; i++) acc += Math.sqrt(i * (x + 1)) % 1;
      return Math.round(acc);
    });
  }
}
