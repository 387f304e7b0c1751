import { trimLeadingSlashes, trimSlashes, trimTrailingSlashes } from '../src/url-path';

describe('url-path', () => {
  it('trims trailing slashes only', () => {
    expect(trimTrailingSlashes('/v2/models/m/')).toBe('/v2/models/m');
    expect(trimTrailingSlashes('/v2//')).toBe('/v2');
    expect(trimTrailingSlashes('///')).toBe('');
    expect(trimTrailingSlashes('')).toBe('');
    expect(trimTrailingSlashes('/infer')).toBe('/infer');
  });

  it('trims leading slashes only', () => {
    expect(trimLeadingSlashes('//infer/')).toBe('infer/');
    expect(trimLeadingSlashes('///')).toBe('');
    expect(trimLeadingSlashes('infer')).toBe('infer');
  });

  it('trims both ends and keeps inner slashes', () => {
    expect(trimSlashes('/versions/2/infer/')).toBe('versions/2/infer');
    expect(trimSlashes('//a//b//')).toBe('a//b');
    expect(trimSlashes('/')).toBe('');
    expect(trimSlashes('ready')).toBe('ready');
  });
});
