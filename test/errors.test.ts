import { GraphServeError, ModelError, errorClasses, toGraphServeError } from '../src/errors';

describe('error classes', () => {
  const entries = Object.entries(errorClasses);

  it('give every class a distinct, stable code and an HTTP status', () => {
    const codes = entries.map(([, Cls]) => new Cls('x').code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const [name, Cls] of entries) {
      const err = new Cls('something failed');
      expect(err).toBeInstanceOf(GraphServeError);
      expect(err.name).toBe(name);
      expect(err.code).toMatch(/^GS_[A-Z_]+$/);
      expect(err.status).toBeGreaterThanOrEqual(400);
      expect(err.toJSON()).toEqual({ error: 'something failed', code: err.code });
    }
  });

  it.each([
    ['BadRequestError', 400],
    ['InvalidTensorError', 400],
    ['ModelNotFoundError', 404],
    ['PayloadTooLargeError', 413],
    ['NotReadyError', 503],
    ['QueueFullError', 503],
    ['TimeoutError', 504],
    ['ModelError', 500],
  ] as const)('%s answers %d', (name, status) => {
    expect(new errorClasses[name]('x').status).toBe(status);
  });

  it('wraps anything thrown by user code as a ModelError, keeping GraphServeErrors as they are', () => {
    const own = new errorClasses.QueueFullError('full');
    expect(toGraphServeError(own)).toBe(own);
    const wrapped = toGraphServeError(new TypeError('boom'));
    expect(wrapped).toBeInstanceOf(ModelError);
    expect(wrapped.message).toBe('boom');
    expect(toGraphServeError('a string')).toBeInstanceOf(ModelError);
  });
});
