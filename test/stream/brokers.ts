/**
 * The brokers of the stream tests: the ones .ci/run started (GRAPHSERVE_TEST_KAFKA / GRAPHSERVE_TEST_REDIS,
 * host:port), else brokers this test file starts itself with the project's scripts (scripts/brokers) and
 * stops after. A broker that cannot be started fails the test file's tests (beforeAll rejects).
 */
import { randomUUID } from 'node:crypto';
import { KAFKA_ENV, REDIS_ENV, startBrokers, type Brokers } from '../../scripts/brokers/brokers';

export interface TestBrokers {
  /** `host:port` of each broker asked for. */
  kafka: string;
  redis: string;
  stop(): Promise<void>;
}

/** Uses or starts the brokers asked for. */
export async function useBrokers(which: { kafka?: boolean; redis?: boolean }): Promise<TestBrokers> {
  const fromEnv = { kafka: process.env[KAFKA_ENV] ?? '', redis: process.env[REDIS_ENV] ?? '' };
  const missing = { kafka: !!which.kafka && fromEnv.kafka === '', redis: !!which.redis && fromEnv.redis === '' };
  let started: Brokers | undefined;
  if (missing.kafka || missing.redis) started = await startBrokers(missing);
  return {
    kafka: started?.kafka ?? fromEnv.kafka,
    redis: started?.redis ?? fromEnv.redis,
    stop: async () => {
      await started?.stop();
    },
  };
}

/** For a beforeAll that starts brokers: the first start may fetch Kafka's jars or install redis-server. */
export const BROKERS_TIMEOUT_MS = 300_000;

/** A topic or stream key no other test uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}
