/**
 * A closed-loop load generator in this process for the grpc scenario, the same for both of its sides so that
 * neither client costs the shared cores more per request: `concurrency` callers, each sending its next prepared
 * request as soon as the previous one is answered, a warm-up and then a measured window in which only OK
 * answers that complete inside the window count, with their latencies in fractional ms. The calls: gRPC over
 * node:http2 (./grpc-load.ts) and HTTP with undici (here), one connection per caller on both.
 */
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import type { ChildServer } from './http-child';
import { timedPhase, type HttpPhase } from './http-load';
import type { HttpBody } from './oip-bodies';
import type { BenchContext } from './types';

/** One request: `caller` is the caller's index, `n` the requests sent so far; rejects unless answered OK. */
export type Call = (caller: number, n: number) => Promise<void>;

/** `concurrency` callers for `seconds`; latencies of the OK answers completed in the window go to `latencies`. */
async function loop(call: Call, concurrency: number, seconds: number, latencies?: number[]) {
  const end = performance.now() + seconds * 1000;
  let next = 0;
  let failed = 0;
  const caller = async (index: number): Promise<void> => {
    while (performance.now() < end) {
      const t0 = performance.now();
      try {
        await call(index, next++);
        const t1 = performance.now();
        if (t1 <= end) latencies?.push(t1 - t0);
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, i) => caller(i)));
  return { failed };
}

/** A warm-up of `ctx.warmupSeconds`, then a measured window of `seconds`, against `server`. */
export async function measureLoop(
  ctx: BenchContext,
  server: ChildServer,
  call: Call,
  concurrency: number,
  seconds = ctx.seconds,
): Promise<HttpPhase> {
  await loop(call, concurrency, ctx.warmupSeconds);
  return timedPhase(server, async (latenciesMs) => {
    const { failed } = await loop(call, concurrency, seconds, latenciesMs);
    return { failed, seconds };
  });
}

/** An undici pool of `connections` keep-alive connections to `url` (one request in flight on each). */
export function httpPool(url: string, connections: number): Pool {
  return new Pool(url, { connections, pipelining: 1 });
}

/** HTTP calls of the prepared `bodies` to `path` over `pool`; the answer is read to its end and not decoded. */
export function httpCall(pool: Pool, path: string, bodies: readonly HttpBody[]): Call {
  return async (_caller, n) => {
    const b = bodies[n % bodies.length] as HttpBody;
    const res = await pool.request({ path, method: 'POST', headers: b.headers, body: b.body });
    await res.body.dump();
    if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
  };
}
