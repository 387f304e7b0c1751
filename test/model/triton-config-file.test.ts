/**
 * readTritonConfigFile: a config.pbtxt read as settings, its left-out fields warned about once however often the
 * file is read (every poll scan and load reads it).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTritonConfigFile } from '../../src/model/triton-config-file';

describe('readTritonConfigFile', () => {
  it('reads the settings, and warns once per file and set of fields left out', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'gs-pbtxt-')), 'config.pbtxt');
    writeFileSync(path, 'name: "other"\nmax_batch_size: 2\nmodel_warmup [ { name: "w" } ]\n');
    const emitWarning = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      for (let i = 0; i < 3; i++) expect(await readTritonConfigFile(path)).toEqual({ batching: { maxBatchSize: 2 } });
      expect(emitWarning).toHaveBeenCalledTimes(1);
      expect(emitWarning).toHaveBeenCalledWith(`${path}: fields graphserve does not take, left out: model_warmup`, {
        code: 'GRAPHSERVE_TRITON_CONFIG',
      });
      writeFileSync(path, 'max_batch_size: 2\noptimization { }\n');
      await readTritonConfigFile(path);
      expect(emitWarning).toHaveBeenCalledTimes(2);
    } finally {
      emitWarning.mockRestore();
    }
  });
});
