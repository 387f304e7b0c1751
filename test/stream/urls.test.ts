import { InvalidOptionError } from '../../src/errors';
import { parseStreamUrl, redactUrl, streamOptionsOf } from '../../src/streams';

describe('stream URLs', () => {
  it('reads a Kafka URL with several brokers, credentials and SASL', () => {
    const address = parseStreamUrl('kafka+ssl://svc:p%40ss@k1:9093,k2:9093/events?sasl=SCRAM-SHA-512');
    expect(address).toMatchObject({
      kind: 'kafka',
      brokers: ['k1:9093', 'k2:9093'],
      name: 'events',
      tls: true,
      username: 'svc',
      password: 'p@ss',
      sasl: 'scram-sha-512',
    });
    expect(address.display).toBe('kafka+ssl://k1:9093,k2:9093/events');
  });

  it('takes plain SASL when a Kafka URL has credentials and no mechanism', () => {
    expect(parseStreamUrl('kafka://u:p@localhost:9092/t').sasl).toBe('plain');
  });

  it('reads a Redis URL: the path is the stream key, db and TLS from the query or rediss', () => {
    expect(parseStreamUrl('redis://127.0.0.1:6379/in:requests?db=2')).toMatchObject({
      kind: 'redis',
      brokers: ['127.0.0.1:6379'],
      name: 'in:requests',
      db: 2,
      tls: false,
    });
    expect(parseStreamUrl('rediss://:secret@cache:6380/s')).toMatchObject({ tls: true, password: 'secret' });
  });

  it('takes queue options from the query, and lets the step options win', () => {
    const url = 'kafka://h:1/t?shards=4&retention_in_hours=2';
    expect(streamOptionsOf(url, parseStreamUrl(url), { shards: 8 })).toEqual({ shards: 8, retentionInHours: 2 });
  });

  it.each([
    ['v3io:///projects/x/stream', /unknown scheme v3io:/],
    ['kafka://localhost/t', /'localhost' is not host:port/],
    ['kafka://localhost:9092', /no topic after the host/],
    ['redis://a:1,b:2/s', /redis takes one host/],
    ['kafka://h:1/t?sasl=kerberos', /sasl must be one of/],
    ['redis://h:1/s?db=x', /db must be a non-negative integer/],
  ])('rejects %s with a clear error', (url, message) => {
    expect(() => parseStreamUrl(url)).toThrow(InvalidOptionError);
    expect(() => parseStreamUrl(url)).toThrow(message);
  });

  it('rejects an unknown option in the query', () => {
    const url = 'redis://h:1/s?partitons=3';
    expect(() => streamOptionsOf(url, parseStreamUrl(url))).toThrow(/unknown option partitons/);
  });

  it('never shows a password in errors or logs', () => {
    expect(redactUrl('redis://user:hunter2@h:1/s')).toBe('redis://user:***@h:1/s');
    expect(() => parseStreamUrl('redis://user:hunter2@h/s')).toThrow(/user:\*\*\*@h/);
  });
});
