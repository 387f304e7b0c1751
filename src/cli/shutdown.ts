/**
 * How the CLI's server stops: on the first SIGTERM or SIGINT it drains HTTP (./../server/http-drain.ts:
 * requests in flight finish, later ones get 503, at most the drain timeout), releases the models (at
 * most RELEASE_TIMEOUT_MS more), and exits 0.
 *
 * Launched by npm (`npx graphserve`, an npm script), the server is the child of a shell that npm starts,
 * and npm forwards its signals to that shell only: the shell dies and the server would be left running.
 * So when npm launched it, the server also stops, the same way, when the process that started it is gone.
 */

/** Longest wait for the models to be released after the drain, ms. */
const RELEASE_TIMEOUT_MS = 10_000;

/** How often the parent process is looked at when npm launched the server, ms. */
const PARENT_POLL_MS = 500;

export interface Stoppable {
  /** Drains the transport (bounded by its drain timeout). */
  close(): Promise<void>;
}

/** Resolves when `work` does, or after `ms` (work that hangs never blocks the exit). */
function bounded(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** True when npm (an npm script or npx) started this process. */
function launchedByNpm(): boolean {
  return process.env['npm_lifecycle_event'] !== undefined;
}

/** Where stopOnSignals() reports: progress lines at info, a failed drain at error. */
export interface StopLog {
  info(line: string): void;
  error(line: string): void;
}

/**
 * Stops once, on SIGTERM, SIGINT, or (launched by npm) the death of the parent process: drain, release,
 * exit 0 (1 if the drain itself fails). `log` gets the progress lines.
 */
export function stopOnSignals(server: Stoppable, release: () => Promise<void>, log: StopLog): void {
  let stopping = false;
  const stop = (why: string): void => {
    if (stopping) return;
    stopping = true;
    log.info(`${why}, draining requests in flight`);
    server
      .close()
      .then(() => bounded(release(), RELEASE_TIMEOUT_MS))
      .then(
        () => {
          log.info('stopped');
          process.exit(0);
        },
        (err: unknown) => {
          log.error(`shutdown failed: ${String(err)}`);
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => stop('SIGTERM received'));
  process.on('SIGINT', () => stop('SIGINT received'));
  if (launchedByNpm()) {
    const parent = process.ppid;
    const watch = setInterval(() => {
      if (process.ppid !== parent) {
        clearInterval(watch);
        stop('the npm process that started it has gone');
      }
    }, PARENT_POLL_MS);
    watch.unref();
  }
}
