import * as path from 'node:path';
import { AddonLoadError } from '../../src/errors';
import { addonCandidates } from '../../bindings/loader';

describe('addon loader', () => {
  const saved = process.env['GRAPHSERVE_ADDON'];
  afterEach(() => {
    if (saved === undefined) delete process.env['GRAPHSERVE_ADDON'];
    else process.env['GRAPHSERVE_ADDON'] = saved;
  });

  it('prefers a prebuilt binary for this platform, then the local build', () => {
    delete process.env['GRAPHSERVE_ADDON'];
    expect(addonCandidates('/pkg')).toEqual([
      path.join('/pkg', 'prebuilds', `${process.platform}-${process.arch}`, 'graphserve.node'),
      path.join('/pkg', 'build', 'Release', 'graphserve.node'),
    ]);
  });

  it('lists every path it tried, and why, when nothing loads', () => {
    process.env['GRAPHSERVE_ADDON'] = '/nowhere/graphserve.node';
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { loadAddon } = require('../../bindings/loader') as typeof import('../../bindings/loader');
      let err: unknown;
      try {
        loadAddon();
      } catch (e) {
        err = e;
      }
      expect((err as Error).name).toBe('AddonLoadError');
      expect((err as AddonLoadError).code).toBe('GS_ADDON_LOAD');
      expect((err as Error).message).toMatch(/Tried:\n {2}\/nowhere\/graphserve\.node: not found/);
      expect((err as Error).message).toMatch(/npm run build:native/);
    });
  });

  it('reports a file that exists but is not an addon', () => {
    process.env['GRAPHSERVE_ADDON'] = path.join(__dirname, 'helpers.ts');
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { loadAddon } = require('../../bindings/loader') as typeof import('../../bindings/loader');
      expect(() => loadAddon()).toThrow(/helpers\.ts: /);
    });
  });
});
