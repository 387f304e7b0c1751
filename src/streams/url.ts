/**
 * Stream URLs: where a queue step publishes, a function consumes (--source), errors and tracking records go.
 *
 *   kafka://[user:pass@]host:port[,host:port…]/topic[?sasl=plain|scram-sha-256|scram-sha-512][&tls=true]
 *   kafka+ssl://…            the same over TLS
 *   redis://[user:pass@]host:port/stream-key[?db=N]
 *   rediss://…               the same over TLS
 *
 * Credentials in the URL are percent-decoded; other query keys are options of the stream (partitions,
 * retention, maxlen…: see StreamOptions), so a whole queue can be one URL.
 */
import { InvalidOptionError } from '../errors';

export type StreamKind = 'kafka' | 'redis';

export interface StreamAddress {
  kind: StreamKind;
  /** `host:port` of each broker (Redis: one). */
  brokers: string[];
  /** The Kafka topic or the Redis stream key. */
  name: string;
  tls: boolean;
  username?: string;
  password?: string;
  /** Kafka: the SASL mechanism ('plain' when credentials are given without one). */
  sasl?: 'plain' | 'scram-sha-256' | 'scram-sha-512';
  /** Redis: the database number. */
  db?: number;
  /** Every other query parameter, as given. */
  query: Record<string, string>;
  /** The URL without credentials (for logs and errors). */
  display: string;
}

const SCHEMES: Readonly<Record<string, { kind: StreamKind; tls: boolean }>> = Object.freeze({
  'kafka:': { kind: 'kafka', tls: false },
  'kafka+ssl:': { kind: 'kafka', tls: true },
  'kafka+tls:': { kind: 'kafka', tls: true },
  'redis:': { kind: 'redis', tls: false },
  'rediss:': { kind: 'redis', tls: true },
});

const SASL = Object.freeze(['plain', 'scram-sha-256', 'scram-sha-512'] as const);

/** True when `path` is a stream URL this module can parse (any scheme it knows). */
export function isStreamUrl(path: unknown): path is string {
  return typeof path === 'string' && /^[a-z][a-z0-9+]*:\/\//i.test(path);
}

function fail(url: string, why: string): never {
  throw new InvalidOptionError(`invalid stream URL ${redactUrl(url)}: ${why}`);
}

/** The URL with its password replaced by '***'. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+]*:\/\/[^:/@]*):[^@/]*@/i, '$1:***@');
}

/** Parses a stream URL; InvalidOptionError names what is wrong (scheme, host, port, name, option). */
export function parseStreamUrl(url: string): StreamAddress {
  const scheme = /^([a-z][a-z0-9+]*:)\/\//i.exec(url)?.[1]?.toLowerCase();
  const known = scheme === undefined ? undefined : SCHEMES[scheme];
  if (!known) {
    fail(url, `unknown scheme ${scheme ?? '(none)'}; use kafka://, kafka+ssl://, redis:// or rediss://`);
  }
  // The authority may list several brokers, which URL does not parse: split it by hand.
  const rest = url.slice(scheme!.length + 2);
  const slash = rest.indexOf('/');
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  const at = authority.lastIndexOf('@');
  const hosts = at < 0 ? authority : authority.slice(at + 1);
  const parsed = new URL(`http://x${slash < 0 ? '/' : rest.slice(slash)}`);
  const name = decodeURIComponent(parsed.pathname.slice(1));
  if (name === '') fail(url, `no ${known.kind === 'kafka' ? 'topic' : 'stream key'} after the host`);
  const brokers = hosts.split(',').map((host) => checkHost(url, host));
  if (known.kind === 'redis' && brokers.length > 1) fail(url, 'redis takes one host');
  const address: StreamAddress = {
    kind: known.kind,
    brokers,
    name,
    tls: known.tls || parsed.searchParams.get('tls') === 'true',
    query: {},
    display: `${scheme}//${hosts}/${name}`,
  };
  if (at >= 0) setCredentials(address, authority.slice(0, at));
  for (const [key, value] of parsed.searchParams) {
    if (key === 'tls') continue;
    else if (key === 'sasl') address.sasl = checkSasl(url, value);
    else if (key === 'db' && known.kind === 'redis') address.db = checkInteger(url, key, value);
    else address.query[key] = value;
  }
  if (address.kind === 'kafka' && address.username !== undefined) address.sasl ??= 'plain';
  return address;
}

function checkHost(url: string, host: string): string {
  const match = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+):(\d{1,5})$/i.exec(host);
  if (!match || Number(match[2]) > 65535) fail(url, `'${host}' is not host:port`);
  return host;
}

function setCredentials(address: StreamAddress, userinfo: string): void {
  const colon = userinfo.indexOf(':');
  const user = colon < 0 ? userinfo : userinfo.slice(0, colon);
  if (user !== '') address.username = decodeURIComponent(user);
  if (colon >= 0) address.password = decodeURIComponent(userinfo.slice(colon + 1));
}

function checkSasl(url: string, value: string): StreamAddress['sasl'] {
  const lower = value.toLowerCase();
  if (!(SASL as readonly string[]).includes(lower)) fail(url, `sasl must be one of ${SASL.join(', ')}`);
  return lower as StreamAddress['sasl'];
}

/** A non-negative integer option. */
export function checkInteger(url: string, key: string, value: string): number {
  if (!/^\d+$/.test(value)) fail(url, `${key} must be a non-negative integer, not '${value}'`);
  return Number(value);
}
