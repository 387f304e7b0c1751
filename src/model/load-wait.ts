/**
 * Waiting for a model that is still loading in async mode (MLRun's readiness check): events from an HTTP or
 * unknown trigger are answered 503 at once; events from any other trigger (a stream consumer) wait for the
 * load, because a stream has no client to retry and would otherwise drop or redeliver the event.
 */
import type { Cancellation } from '../cancellation';
import { answersNotReadyAtOnce, type EventTrigger } from '../event';

/**
 * Longest a stream event waits for a load, ms, when its request timeout does not end the wait first
 * (MLRun polls 50 times every 5 s).
 */
export const kMaxLoadWaitMs = 250_000;

/**
 * Resolves when `loading` settles (either way), when `cancellation` aborts (the request timeout passed),
 * or after kMaxLoadWaitMs, whichever comes first; at once for triggers that are answered 503 at once or
 * when nothing is loading. The caller checks readiness afterwards. Never rejects.
 */
export async function waitForLoad(
  loading: Promise<void> | undefined,
  trigger: EventTrigger | undefined,
  cancellation: Cancellation | undefined,
): Promise<void> {
  if (loading === undefined || answersNotReadyAtOnce(trigger) || cancellation?.aborted) return;
  let timer: NodeJS.Timeout | undefined;
  let forget: (() => void) | undefined;
  const bound = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, kMaxLoadWaitMs);
    forget = cancellation?.onAbort(() => resolve());
  });
  try {
    await Promise.race([loading.catch(() => undefined), bound]);
  } finally {
    clearTimeout(timer);
    forget?.();
  }
}
