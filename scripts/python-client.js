'use strict';
/**
 * Makes the Python environment of the tritonclient conformance test (test/conformance): a venv in
 * .cache/tritonclient-venv holding NVIDIA's tritonclient[http,grpc] (both clients) and numpy at the versions pinned
 * below, installed by pip from its default index (or whatever the machine's pip configuration names). Idempotent: a venv whose
 * marker file lists exactly these pins is reused as it is; any other is rebuilt. A new venv is built in a
 * sibling folder and renamed into place, so a concurrent caller never sees a half-installed one.
 *
 * Needs python3 >= 3.11 with venv and pip (PYTHON names another interpreter). Run directly it prints the venv's
 * python path on stdout and pip's output on stderr; `ensurePythonClient()` resolves to the same path.
 */
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');

/**
 * The packages the test imports, then everything they pull in, pinned so that every machine resolves the same
 * set (wheels only: no compiler is needed, and a missing wheel fails fast instead of building).
 */
const REQUIREMENTS = Object.freeze([
  'tritonclient[http,grpc]==2.73.0',
  'numpy==2.4.6',
  'aiohappyeyeballs==2.7.1',
  'aiohttp==3.14.5',
  'aiosignal==1.4.0',
  'attrs==26.1.0',
  'brotli==1.2.1',
  'certifi==2026.10.19.post1',
  'frozenlist==1.8.0',
  'gevent==26.9.0',
  'geventhttpclient==2.6.1',
  'greenlet==3.3.2',
  'grpcio==1.85.3',
  'idna==3.20',
  'ml-dtypes==0.5.4',
  'multidict==7.2.1',
  'packaging==26.4',
  'propcache==0.5.4',
  'protobuf==6.33.6',
  'python-rapidjson==1.25',
  'typing_extensions==4.16.0',
  'urllib3==2.8.0',
  'yarl==1.25.1',
  'zope.event==6.2',
  'zope.interface==8.7',
]);

const DEFAULTS = Object.freeze({
  venvDir: path.join(ROOT, '.cache', 'tritonclient-venv'),
  python: process.env.PYTHON ?? 'python3', // the interpreter that creates the venv
  venvTimeoutMs: 60_000, // `python -m venv` (it installs pip into the venv)
  pipTimeoutMs: 230_000, // the whole `pip install`, downloads included (both fit the test's 5 min)
  log: (line) => process.stderr.write(`${line}\n`),
});

const MARKER = 'graphserve-requirements.txt';

function pythonOf(venvDir) {
  return path.join(venvDir, 'bin', 'python');
}

/** True when venvDir holds a working interpreter and was completed for exactly REQUIREMENTS. */
function isCurrent(venvDir) {
  const marker = path.join(venvDir, MARKER);
  return (
    fs.existsSync(pythonOf(venvDir)) &&
    fs.existsSync(marker) &&
    fs.readFileSync(marker, 'utf8') === `${REQUIREMENTS.join('\n')}\n`
  );
}

/** Runs a command to completion within timeoutMs; rejects with its output's tail when it fails or overruns. */
function run(file, args, timeoutMs) {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        if (!error) return resolve(`${stdout}${stderr}`);
        const why = error.killed ? `killed after ${timeoutMs} ms` : error.message.split('\n')[0];
        reject(new Error(`${file} ${args.join(' ')}: ${why}\n${`${stdout}${stderr}`.slice(-4000)}`));
      },
    );
  });
}

/** Builds a complete venv in a fresh folder next to venvDir; resolves to that folder. */
async function build(options) {
  const staging = `${options.venvDir}.tmp-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(staging), { recursive: true });
  try {
    await run(options.python, ['-m', 'venv', staging], options.venvTimeoutMs);
    const pip = ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--progress-bar', 'off'];
    await run(pythonOf(staging), [...pip, '--only-binary=:all:', ...REQUIREMENTS], options.pipTimeoutMs);
    fs.writeFileSync(path.join(staging, MARKER), `${REQUIREMENTS.join('\n')}\n`);
    return staging;
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Resolves to the python of a venv holding REQUIREMENTS, creating or replacing the venv when needed.
 * Rejects, naming the failing command with its output, when python, venv, pip or the index fail or time out.
 * @param {Partial<typeof DEFAULTS>} [opts]
 * @returns {Promise<string>}
 */
async function ensurePythonClient(opts = {}) {
  const options = { ...DEFAULTS, ...opts };
  if (isCurrent(options.venvDir)) return pythonOf(options.venvDir);
  const started = Date.now();
  options.log(`python-client: installing ${REQUIREMENTS.slice(0, 2).join(' ')} into ${options.venvDir}`);
  const staging = await build(options);
  if (isCurrent(options.venvDir)) {
    fs.rmSync(staging, { recursive: true, force: true }); // a concurrent caller finished first
  } else {
    fs.rmSync(options.venvDir, { recursive: true, force: true });
    fs.renameSync(staging, options.venvDir); // python finds its prefix from its own path, so the move is safe
  }
  options.log(`python-client: ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return pythonOf(options.venvDir);
}

module.exports = { ensurePythonClient, REQUIREMENTS };

if (require.main === module) {
  ensurePythonClient().then(
    (python) => console.log(python),
    (error) => {
      console.error(error.message);
      process.exit(1);
    },
  );
}
