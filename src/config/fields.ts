// Field schemas that several sections share, each with the message an admin should read. Messages
// say what was expected and what was found ("expected a port number from 1 to 65535, got 70000").
import * as z from 'zod';
import { isIP } from 'node:net';

/** how a value found in the file is shown in a message (short; strings quoted) */
export function got(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'an empty value';
  if (typeof v === 'string') return v === '' ? 'empty text' : JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return 'a list';
  return 'a mapping';
}

/** "expected WHAT, got X", or "missing: expected WHAT" for a required key that is not there */
export function expected(what: string, input: unknown): string {
  return input === undefined ? `missing: expected ${what}` : `expected ${what}, got ${got(input)}`;
}

/** non-empty text */
export function text(what: string) {
  return z.string({ error: (iss) => expected(what, iss.input) }).min(1, { error: `expected ${what}, got empty text` });
}

export function bool() {
  // YAML 1.2: yes/no/on/off are text, so they land here with a message that says so
  return z.boolean({ error: (iss) => expected('true or false', iss.input) });
}

export function wholeNumber(what: string, min: number, max: number) {
  const error = (iss: { input?: unknown }) => expected(`${what} from ${min} to ${max}`, iss.input);
  return z.int({ error }).min(min, { error }).max(max, { error });
}

export function port() {
  return wholeNumber('a port number', 1, 65535);
}

/** a deadline in milliseconds, up to 10 minutes */
export function timeoutMs(byDefault: number) {
  return wholeNumber('milliseconds', 1, 600_000).default(byDefault);
}

export function isHostName(s: string): boolean {
  if (isIP(s)) return true;
  return s.length <= 253 && /^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/.test(s);
}

export function hostName() {
  return text('a host name or IP address').refine(isHostName, { error: (iss) => `expected a host name or IP address, got ${got(iss.input)}` });
}

/** a URL with one of `schemes` (without the colon), a host, and no password: secrets go by reference;
 *  opts.noPath: the URL may not have a path or query, and this message says why */
export function urlOf(schemes: readonly string[], what: string, opts: { noPath?: string } = {}) {
  return text(what).superRefine((v, ctx) => {
    let u: URL | undefined;
    try {
      u = new URL(v);
    } catch {
      u = undefined;
    }
    if (!u || !schemes.includes(u.protocol.replace(/:$/, '').toLowerCase()) || !u.hostname) {
      ctx.addIssue({ code: 'custom', message: `expected ${what}, got ${got(v.replace(/\/\/[^@/?#]*@/, '//'))}` });
    } else if (u.password) {
      ctx.addIssue({ code: 'custom', message: 'the URL holds a password: secrets go by reference (a …File: PATH or …Env: NAME key), never in the file' });
    } else if (opts.noPath && ((u.pathname !== '' && u.pathname !== '/') || u.search || u.hash)) {
      ctx.addIssue({ code: 'custom', message: opts.noPath });
    }
  });
}
