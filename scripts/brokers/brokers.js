'use strict';
/**
 * Starts and stops the brokers of the stream tests and benches (./kafka.sh, ./redis.sh) on free loopback ports.
 *
 *   const brokers = await startBrokers({ kafka: true, redis: true });  // { kafka: '127.0.0.1:PORT', redis: … }
 *   await brokers.stop();
 *
 * Run directly, `node scripts/brokers/brokers.js start` starts both and prints shell lines that export
 * GRAPHSERVE_TEST_KAFKA and GRAPHSERVE_TEST_REDIS (for `eval` in .ci/run); `… stop` stops what `start` started.
 * Tests that find those variables use those brokers; without them they start their own.
 */
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const STATE_DIR = path.join(ROOT, '.cache', 'brokers');
const CI_STATE = path.join(STATE_DIR, 'ci.json');
const KAFKA_ENV = 'GRAPHSERVE_TEST_KAFKA';
const REDIS_ENV = 'GRAPHSERVE_TEST_REDIS';

const DEFAULTS = Object.freeze({
  kafkaStartTimeoutMs: 300_000, // the first start fetches ~43 MB of jars with Maven
  redisStartTimeoutMs: 300_000, // the first start may install redis-server with apt-get
  stopTimeoutMs: 30_000,
});

/** A free TCP port on 127.0.0.1 (free when asked: the broker binds it right after). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Runs one of the shell scripts (start DIR PORT… | stop DIR); rejects with its stderr when it fails. */
function script(name, args, timeoutMs = DEFAULTS.redisStartTimeoutMs) {
  return new Promise((resolve, reject) => {
    execFile('bash', [path.join(__dirname, name), ...args], { timeout: timeoutMs }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`${name} ${args[0]} failed: ${err.message}\n${stderr}`));
      else resolve();
    });
  });
}

let counter = 0;
function stateDir(kind) {
  return path.join(STATE_DIR, `${kind}-${process.pid}-${counter++}`);
}

async function startKafka() {
  const dir = stateDir('kafka');
  const [port, controller] = [await freePort(), await freePort()];
  await script('kafka.sh', ['start', dir, String(port), String(controller)], DEFAULTS.kafkaStartTimeoutMs);
  return { address: `127.0.0.1:${port}`, stop: () => script('kafka.sh', ['stop', dir], DEFAULTS.stopTimeoutMs), dir };
}

async function startRedis() {
  const dir = stateDir('redis');
  const port = await freePort();
  await script('redis.sh', ['start', dir, String(port)], DEFAULTS.redisStartTimeoutMs);
  return { address: `127.0.0.1:${port}`, stop: () => script('redis.sh', ['stop', dir], DEFAULTS.stopTimeoutMs), dir };
}

/**
 * Starts the brokers asked for; rejects (after stopping any that started) when one cannot be started.
 * Resolves to their `host:port` addresses and a stop() for all of them.
 */
async function startBrokers(which = { kafka: true, redis: true }) {
  const started = [];
  const stop = async () => {
    await Promise.allSettled(started.map((broker) => broker.stop()));
  };
  try {
    const [kafka, redis] = await Promise.all([
      which.kafka ? startKafka().then((b) => (started.push(b), b)) : undefined,
      which.redis ? startRedis().then((b) => (started.push(b), b)) : undefined,
    ]);
    return { kafka: kafka?.address, redis: redis?.address, dirs: started.map((b) => b.dir), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function main(command) {
  if (command === 'start') {
    const brokers = await startBrokers();
    fs.writeFileSync(CI_STATE, JSON.stringify({ dirs: brokers.dirs }));
    process.stdout.write(`export ${KAFKA_ENV}=${brokers.kafka}\nexport ${REDIS_ENV}=${brokers.redis}\n`);
  } else if (command === 'stop') {
    if (!fs.existsSync(CI_STATE)) return;
    const { dirs } = JSON.parse(fs.readFileSync(CI_STATE, 'utf8'));
    for (const dir of dirs) {
      const kind = path.basename(dir).startsWith('kafka') ? 'kafka.sh' : 'redis.sh';
      await script(kind, ['stop', dir], DEFAULTS.stopTimeoutMs);
    }
    fs.rmSync(CI_STATE, { force: true });
  } else {
    throw new Error('usage: node scripts/brokers/brokers.js start | stop');
  }
}

module.exports = { startBrokers, script, KAFKA_ENV, REDIS_ENV };

if (require.main === module) {
  main(process.argv[2]).catch((err) => {
    console.error(`brokers: ${err.message}`);
    process.exit(1);
  });
}
