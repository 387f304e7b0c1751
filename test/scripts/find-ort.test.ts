import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { findOrt } = require('../../scripts/find-ort') as {
  findOrt: (root?: string) => { source: string; includeDir: string; library: string };
};

function fakeRelease(layout: 'include' | 'include/onnxruntime'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gs-ort-'));
  fs.mkdirSync(path.join(dir, layout), { recursive: true });
  fs.writeFileSync(path.join(dir, layout, 'onnxruntime_cxx_api.h'), '');
  fs.mkdirSync(path.join(dir, 'lib'));
  fs.writeFileSync(path.join(dir, 'lib', 'libonnxruntime.so.1'), '');
  return dir;
}

describe('finding ONNX Runtime for the build', () => {
  const saved = { dir: process.env['ONNXRUNTIME_DIR'], skip: process.env['GRAPHSERVE_ORT_SKIP_SYSTEM'] };
  afterEach(() => {
    for (const [key, value] of [
      ['ONNXRUNTIME_DIR', saved.dir],
      ['GRAPHSERVE_ORT_SKIP_SYSTEM', saved.skip],
    ] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  it.each(['include', 'include/onnxruntime'] as const)('honours ONNXRUNTIME_DIR with headers in %s/', (layout) => {
    const dir = fakeRelease(layout);
    process.env['ONNXRUNTIME_DIR'] = dir;
    expect(findOrt()).toEqual({
      source: 'ONNXRUNTIME_DIR',
      includeDir: path.join(dir, layout),
      library: path.join(dir, 'lib', 'libonnxruntime.so.1'),
    });
    fs.rmSync(dir, { recursive: true });
  });

  it('falls back to the npm packages when ONNXRUNTIME_DIR lacks a library', () => {
    const dir = fakeRelease('include');
    fs.rmSync(path.join(dir, 'lib'), { recursive: true });
    process.env['ONNXRUNTIME_DIR'] = dir;
    process.env['GRAPHSERVE_ORT_SKIP_SYSTEM'] = '1';
    const found = findOrt();
    expect(found.source).toBe('npm');
    expect(found.library).toMatch(/onnxruntime-node\/bin\/napi-v6\/linux\/x64\/libonnxruntime\.so\.1$/);
    expect(fs.existsSync(path.join(found.includeDir, 'onnxruntime_cxx_api.h'))).toBe(true);
    fs.rmSync(dir, { recursive: true });
  });

  it('lists everything it tried when nothing is found', () => {
    process.env['ONNXRUNTIME_DIR'] = '/nonexistent-ort';
    process.env['GRAPHSERVE_ORT_SKIP_SYSTEM'] = '1';
    expect(() => findOrt('/nonexistent-root')).toThrow(
      /ONNXRUNTIME_DIR=\/nonexistent-ort: headers missing, library missing[\s\S]*npm packages: headers missing/,
    );
  });
});
