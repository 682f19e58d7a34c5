// From a URL to a ProbeTarget: `scheme://[user@]host[:port][/path]`, the scheme naming a preset (the
// built-in ones or a user's), the port defaulting to the preset's, IPv6 literals in brackets. A
// password in the URL is refused: it would show in `ps`, shell history and monitoring configs; it
// comes by reference (--password-env / --password-file, or the config's passwordEnv/passwordFile).
import { isIP } from 'node:net';
import { loadPresets, type PresetSet } from './presets.js';
import { schemes, type ProbeTarget, type Scheme, type TargetTls } from './types.js';

/** why a URL was refused, for callers that word some cases their own way (the config names its keys) */
export type TargetProblem = 'syntax' | 'scheme' | 'password' | 'path' | 'host' | 'port';

export class TargetError extends Error {
  override readonly name = 'TargetError';
  constructor(
    message: string,
    readonly problem: TargetProblem = 'syntax',
  ) {
    super(message);
  }
}

export const DEFAULT_TIMEOUT_MS = 10_000;

export interface TargetOptions {
  readonly presets?: PresetSet;
  readonly timeoutMs?: number;
  readonly tls?: TargetTls;
  /** the password for a URL that names a user (resolved from its reference by the caller) */
  readonly password?: string;
  readonly warning?: string;
  readonly critical?: string;
  readonly certWarningDays?: number;
  readonly certCriticalDays?: number;
  readonly http?: ProbeTarget['http'];
  readonly expect?: string;
  /** names as the config gives them (default: the URL's host, the preset's service, address:port) */
  readonly host?: string;
  readonly service?: string;
  readonly instance?: string;
}

/** `[::1]` for an IPv6 address, the name or IPv4 address as it is */
export function hostPart(address: string): string {
  return isIP(address) === 6 ? `[${address}]` : address;
}

export function parseTarget(url: string, o: TargetOptions = {}): ProbeTarget {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/.exec(url.trim());
  if (!m) throw new TargetError(`${url}: expected scheme://host[:port][/path], e.g. smtp://mx1.example.org:25`);
  const name = m[1]!.toLowerCase();
  const presets = o.presets ?? loadPresets();
  const preset = presets.get(name);
  if (!preset)
    throw new TargetError(`${url}: unknown scheme "${name}" (known: ${[...presets.keys()].sort().join(', ')}; add one with a preset file)`, 'scheme');
  let u: URL;
  try {
    // parsed as http so that the host is checked and IPv6 literals are understood the same way for every scheme
    u = new URL(`http://${m[2]}`);
  } catch {
    throw new TargetError(`${url}: not a valid URL (host, port or path)`);
  }
  if (u.password)
    throw new TargetError(
      `${name}://${u.username}:****@${u.host}: a password in the URL would show in process lists and logs; give it with --password-env NAME or --password-file FILE`,
      'password',
    );
  const afterAuthority = m[2]!.replace(/^[^/?#]*/, '');
  if (!preset.http && afterAuthority !== '' && afterAuthority !== '/') throw new TargetError(`${url}: a ${name} URL has no path`, 'path');
  const address = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (address === '') throw new TargetError(`${url}: no host`, 'host');
  // new URL drops the port when it is http's default, 80: read it from the text instead
  const portText = /^(?:[^@/?#]*@)?(?:\[[^\]]*\]|[^:/?#]*)(?::(\d*))?/.exec(m[2]!)?.[1];
  const port = portText ? Number(portText) : preset.port;
  if (port === undefined) throw new TargetError(`${url}: the ${name} preset has no default port; give one (${name}://host:PORT)`, 'port');
  if (!(Number.isInteger(port) && port >= 1 && port <= 65535)) throw new TargetError(`${url}: port must be 1-65535`, 'port');
  const user = decodeURIComponent(u.username);
  const builtin = (schemes as readonly string[]).includes(name);
  const canonical = `${name}://${hostPart(address)}:${port}${preset.http ? `${u.pathname}${u.search}` : ''}`;
  return {
    host: o.host ?? address,
    service: o.service ?? preset.service,
    instance: o.instance ?? `${hostPart(address)}:${port}`,
    url: canonical,
    scheme: builtin ? (name as Scheme) : 'tcp',
    ...(builtin ? {} : { protocol: name }),
    address,
    port,
    ...(preset.http ? { path: `${u.pathname}${u.search}` } : {}),
    tls: o.tls ?? {},
    timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    ...(user ? { credentials: { user, password: o.password ?? '' } } : {}),
    ...(o.http ? { http: o.http } : {}),
    ...(o.expect !== undefined ? { expect: o.expect } : {}),
    ...(o.warning !== undefined ? { warning: o.warning } : {}),
    ...(o.critical !== undefined ? { critical: o.critical } : {}),
    ...(o.certWarningDays !== undefined ? { certWarningDays: o.certWarningDays } : {}),
    ...(o.certCriticalDays !== undefined ? { certCriticalDays: o.certCriticalDays } : {}),
  };
}
