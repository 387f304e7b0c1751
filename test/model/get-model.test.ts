import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvalidOptionError, ModelLoadError, V2ModelServer } from '../../src';

async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

describe('getModel on local paths', () => {
  it('resolves a local file as it is', async () => {
    const dir = await tempDir('gs-file-');
    const file = join(dir, 'model.onnx');
    await writeFile(file, 'onnx');
    const files = await new V2ModelServer({ modelPath: file }).getModel('.onnx');
    expect(files).toEqual({ modelFile: file, extraData: {} });
  });

  it('resolves a file:// URL', async () => {
    const dir = await tempDir('gs-url-');
    const file = join(dir, 'model.onnx');
    await writeFile(file, 'onnx');
    const files = await new V2ModelServer({ modelPath: pathToFileURL(file).href }).getModel();
    expect(files.modelFile).toBe(file);
  });

  it('picks the first file with the suffix in a folder without a spec', async () => {
    const dir = await tempDir('gs-dir-');
    await writeFile(join(dir, 'b.onnx'), '');
    await writeFile(join(dir, 'a.onnx'), '');
    await writeFile(join(dir, 'notes.txt'), '');
    const model = new V2ModelServer({ modelPath: dir });
    expect((await model.getModel('.onnx')).modelFile).toBe(join(dir, 'a.onnx'));
    await expect(model.getModel('.pkl')).rejects.toThrow(ModelLoadError);
  });

  it('loads the model spec of a folder: model file, features and extra data', async () => {
    const dir = await tempDir('gs-spec-');
    await mkdir(join(dir, 'extra'));
    await writeFile(join(dir, 'weights.bin'), '');
    await writeFile(
      join(dir, 'model_spec.yaml'),
      [
        'model_file: weights.bin',
        'framework: onnx',
        'inputs:',
        '  - name: sepal length (cm)',
        '    value_type: float',
        'outputs:',
        '  - name: label',
        '    value_type: int',
        'extra_data:',
        '  labels: extra/labels.txt',
      ].join('\n'),
    );
    const model = new V2ModelServer({ name: 'iris', modelPath: dir });
    const files = await model.getModel('.onnx');
    expect(files.modelFile).toBe(join(dir, 'weights.bin'));
    expect(files.extraData).toEqual({ labels: join(dir, 'extra', 'labels.txt') });
    expect(model.modelSpec?.framework).toBe('onnx');
    expect(await model.metadata()).toEqual({
      name: 'iris',
      version: '',
      inputs: [{ name: 'sepal length (cm)', value_type: 'float' }],
      outputs: [{ name: 'label', value_type: 'int' }],
    });
  });

  it('rejects a path that does not exist, and a model without modelPath', async () => {
    await expect(new V2ModelServer({ modelPath: '/nonexistent/gs/model.onnx' }).getModel()).rejects.toThrow(
      ModelLoadError,
    );
    await expect(new V2ModelServer({}).getModel()).rejects.toThrow(InvalidOptionError);
  });
});

describe('getModel over http', () => {
  let server: Server;
  let base: string;
  const hits: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      hits.push(req.url ?? '');
      if (req.url === '/models/model.onnx') {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.end(Buffer.from('remote weights'));
      } else {
        res.writeHead(404);
        res.end('missing');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('downloads the file once and then uses the cache', async () => {
    const modelCacheDir = await tempDir('gs-cache-');
    const url = `${base}/models/model.onnx`;
    const first = await new V2ModelServer({ modelPath: url, modelCacheDir }).getModel('.onnx');
    expect(first.modelFile.startsWith(modelCacheDir)).toBe(true);
    expect(first.modelFile.endsWith('model.onnx')).toBe(true);
    expect(await readFile(first.modelFile, 'utf8')).toBe('remote weights');
    const second = await new V2ModelServer({ modelPath: url, modelCacheDir }).getModel('.onnx');
    expect(second.modelFile).toBe(first.modelFile);
    expect(hits.filter((h) => h === '/models/model.onnx')).toHaveLength(1);
  });

  it('rejects an http error status with ModelLoadError', async () => {
    const modelCacheDir = await tempDir('gs-cache-');
    const model = new V2ModelServer({ modelPath: `${base}/models/absent.onnx`, modelCacheDir });
    await expect(model.getModel()).rejects.toThrow('HTTP 404');
    await expect(model.getModel()).rejects.toThrow(ModelLoadError);
  });
});
