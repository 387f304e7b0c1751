/** Types of ./brokers.js (the stream tests import it). */
export interface Brokers {
  /** `127.0.0.1:PORT` of the Kafka broker, when asked for. */
  kafka?: string;
  /** `127.0.0.1:PORT` of the Redis server, when asked for. */
  redis?: string;
  dirs: string[];
  /** Stops every broker started. */
  stop(): Promise<void>;
}
export function startBrokers(which?: { kafka?: boolean; redis?: boolean }): Promise<Brokers>;
/** Runs ./kafka.sh or ./redis.sh with `args` (start DIR PORT… | stop DIR); rejects with its stderr when it fails. */
export function script(name: 'kafka.sh' | 'redis.sh', args: string[], timeoutMs?: number): Promise<void>;
export const KAFKA_ENV: string;
export const REDIS_ENV: string;
