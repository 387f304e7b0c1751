/**
 * loadOverrideOf: the `config` and `file:<path>` parameters of a load request, checked before anything is
 * written (see src/graph/repository/load-override.ts).
 */
import { BadRequestError } from '../../src/errors';
import { loadOverrideOf } from '../../src/graph/repository/load-override';

const parse = (parameters: unknown) => loadOverrideOf({ parameters });

describe('loadOverrideOf', () => {
  it('takes config alone, and files with config, decoding their base64', () => {
    expect(parse(undefined)).toEqual({});
    expect(parse({ config: '{}' })).toEqual({ config: '{}' });
    const both = parse({ config: '{}', 'file:1/model.onnx': 'QUJD', 'file:model.onnx': 'QQ==', other: 1 });
    expect(both.config).toBe('{}');
    expect([...both.files!]).toEqual([
      ['1/model.onnx', Buffer.from('ABC')],
      ['model.onnx', Buffer.from('A')],
    ]);
  });

  it.each(['QQ=', 'Q===', '=QQQ', 'QQ=A', 'QQ==QQ==', 'QUJ D', 'QUJ\nD'])('refuses %j as base64', (text) => {
    expect(() => parse({ config: '{}', 'file:m': text })).toThrow(/must be the file's contents as base64/);
  });

  it.each(['', '/m', 'a//b', './m', 'a/../m', '..', 'a\\b', 'a\0b'])('refuses the path %j', (path) => {
    expect(() => parse({ config: '{}', [`file:${path}`]: 'QQ==' })).toThrow(/must name a relative path inside/);
  });

  it('checks files of many megabytes without exhausting the stack', () => {
    const large = Buffer.alloc(6_000_000, 7).toString('base64');
    expect(parse({ config: '{}', 'file:m': large }).files!.get('m')!.length).toBe(6_000_000);
    expect(() => parse({ config: '{}', 'file:m': `${large.slice(0, -4)}QQ!=` })).toThrow(BadRequestError);
  });

  it('refuses files without config, and parameters that are not an object', () => {
    expect(() => parse({ 'file:m': 'QQ==' })).toThrow(/need parameters.config as well/);
    expect(() => parse('x')).toThrow(/"parameters" must be an object/);
    expect(() => parse({ config: 3 })).toThrow(/parameters.config must be a string/);
  });
});
