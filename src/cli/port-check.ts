/**
 * A port that another process holds is reported before any model loads (loading can take minutes):
 * the port is bound once and released at start-up, so EADDRINUSE or EACCES shows at once.
 */
import { createServer } from 'node:net';
import { InvalidArgumentError } from 'commander';

/** Resolves when `host:port` can be bound now (port 0 always can); rejects saying why not. */
export function checkPortFree(host: string, port: number, what = 'port'): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => {
      const why =
        err.code === 'EADDRINUSE'
          ? 'is in use by another process'
          : err.code === 'EACCES'
            ? 'needs privileges this process lacks'
            : `cannot be bound (${err.code ?? err.message})`;
      reject(new InvalidArgumentError(`${what} ${port} on ${host} ${why}; nothing was loaded`));
    });
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}
