// Enrolment: whom to watch, read from the LDAP directory each cycle (so new and removed users follow),
// as the seed walked Active Directory: the whole subtree under the base, every OU and container, in
// pages (Active Directory returns at most 1000 entries a page), users with an IM address only, minus
// those who opted out (a group, an attribute) and the exclude list.
import { readFileSync } from 'node:fs';
import { rootCertificates, type ConnectionOptions } from 'node:tls';
import { Client, InvalidCredentialsError, NoSuchObjectError, type Entry } from 'ldapts';
import type { directorySection } from '../../config/sections/directory.js';
import type * as z from 'zod';
import type { PresenceConfig } from './config.js';
import type { EnrolledUser } from './types.js';

export type DirectoryConfig = z.output<typeof directorySection.schema>;

/** a failure to read the directory, said for the admin (no stack needed) */
export class DirectoryError extends Error {
  override readonly name = 'DirectoryError';
}

export interface Enrolment {
  readonly users: readonly EnrolledUser[];
  /** entries the search returned */
  readonly entries: number;
  readonly pages: number;
  /** entries matched by the filter with no usable IM address in the configured attributes */
  readonly withoutAddress: number;
  readonly optedOut: number;
  readonly excluded: number;
  /** a second entry with an IM address already seen (kept: the first) */
  readonly duplicates: number;
  readonly ms: number;
}

const schemePrefix = /^([A-Za-z][A-Za-z0-9+.-]*):/;
const imSchemes = new Set(['sip', 'xmpp', 'im', 'sips']);

/** The IM address in one attribute value: `sip:`, `xmpp:` … prefixes stripped (any case), a
 *  labeledURI's label dropped, lower case. undefined: not an IM address (no @, or another scheme
 *  such as proxyAddresses' SMTP: and X500: entries). */
export function imAddressOf(value: string): string | undefined {
  let v = value.trim().split(/\s+/)[0] ?? '';
  const m = schemePrefix.exec(v);
  if (m) {
    if (!imSchemes.has(m[1]!.toLowerCase())) return undefined;
    v = v.slice(m[0].length).replace(/^\/\//, '');
  }
  v = v.toLowerCase();
  return /^[^@\s/]+@[^@\s/]+$/.test(v) ? v : undefined;
}

/** a DN compared the way directories do: case and the spaces around separators do not matter */
export function normalDn(dn: string): string {
  return dn
    .split(/(?<!\\),/)
    .map((rdn) =>
      rdn
        .split(/(?<!\\)=/)
        .map((p) => p.trim())
        .join('='),
    )
    .join(',')
    .toLowerCase();
}

function values(entry: Entry, attr: string): string[] {
  const want = attr.toLowerCase();
  for (const [k, v] of Object.entries(entry)) {
    if (k.toLowerCase() !== want) continue;
    const list = Array.isArray(v) ? v : [v];
    return list.map((x) => (Buffer.isBuffer(x) ? x.toString('utf8') : String(x)));
  }
  return [];
}

/** the first IM address in the attributes, in their order; within one attribute an sip:/xmpp: value
 *  beats one without a scheme */
function addressOf(entry: Entry, attrs: readonly string[]): string | undefined {
  for (const a of attrs) {
    const vs = values(entry, a);
    const withScheme = vs
      .filter((v) => schemePrefix.test(v.trim()))
      .map(imAddressOf)
      .find(Boolean);
    const found = withScheme ?? vs.map(imAddressOf).find(Boolean);
    if (found) return found;
  }
  return undefined;
}

function tlsOptions(d: DirectoryConfig): ConnectionOptions {
  const o: ConnectionOptions = { rejectUnauthorized: d.tls.verify };
  if (d.tls.caFile) {
    let pem: string;
    try {
      pem = readFileSync(d.tls.caFile, 'utf8');
    } catch (e) {
      throw new DirectoryError(`directory.tls.caFile: cannot read ${d.tls.caFile}: ${(e as Error).message}`);
    }
    o.ca = [...rootCertificates, pem];
  }
  if (d.tls.serverName) o.servername = d.tls.serverName;
  return o;
}

/** what went wrong, in the admin's words: which server, which step, why */
export function explain(d: DirectoryConfig, step: string, e: unknown): DirectoryError {
  if (e instanceof DirectoryError) return e;
  const err = e as NodeJS.ErrnoException;
  const where = `directory ${d.url}`;
  let why: string;
  if (e instanceof InvalidCredentialsError) why = `the bind as ${d.bindDn ?? '(anonymous)'} was refused: invalid credentials`;
  else if (e instanceof NoSuchObjectError) why = `the base ${step.replace(/^search /, '')} does not exist (noSuchObject)`;
  else if (err.code === 'ECONNREFUSED') why = 'connection refused (is the server running?)';
  else if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') why = `cannot resolve the host (${err.code})`;
  else if (/timeout|timed out/i.test(err.message ?? '')) why = `no answer within ${d.timeoutMs} ms (${step})`;
  else why = `${step}: ${err.message ?? String(e)}${err.code ? ` (${err.code})` : ''}`;
  return new DirectoryError(`${where}: ${why}`);
}

async function groupMembers(client: Client, d: DirectoryConfig, group: string): Promise<Set<string>> {
  const out = new Set<string>();
  // Active Directory hands a large group's members out in ranges: member;range=0-1499, then 1500-*
  let attrs = ['member', 'uniqueMember'];
  for (let round = 0; round < 1000; round++) {
    let r: Awaited<ReturnType<Client['search']>>;
    try {
      r = await client.search(group, { scope: 'base', filter: '(objectClass=*)', attributes: attrs });
    } catch (e) {
      if (e instanceof NoSuchObjectError) throw new DirectoryError(`directory ${d.url}: the opt-out group ${group} does not exist (noSuchObject)`);
      throw explain(d, `read the opt-out group ${group}`, e);
    }
    const entry = r.searchEntries[0];
    if (!entry) throw new DirectoryError(`directory ${d.url}: the opt-out group ${group} does not exist`);
    let next: string | undefined;
    for (const [k, v] of Object.entries(entry)) {
      const m = /^(member|uniqueMember)(;range=(\d+)-(\d+|\*))?$/i.exec(k);
      if (!m) continue;
      for (const dn of Array.isArray(v) ? v : [v]) out.add(normalDn(String(dn).replace(/#.*$/, '')));
      if (m[2] && m[4] !== '*') next = `${m[1]};range=${Number(m[4]) + 1}-*`;
    }
    if (!next) return out;
    attrs = [next];
  }
  return out;
}

export interface EnrolOptions {
  /** the directory attribute of a user's id at the source (Graph: the Entra object id) */
  readonly idAttribute?: string;
  readonly signal?: AbortSignal;
}

/** read whom to watch; throws DirectoryError with a message for the admin */
export async function enrol(d: DirectoryConfig, p: PresenceConfig, opts: EnrolOptions = {}): Promise<Enrolment> {
  const t0 = performance.now();
  const usernameAttr = p.enrol.username ?? d.attributes.account;
  const memberOfAttr = d.attributes.memberOf;
  const attributes = [...new Set([...p.enrol.imAddress, usernameAttr, memberOfAttr, p.optOut?.attribute, opts.idAttribute].filter((a): a is string => !!a))];
  const exclude = new Set(p.exclude.map((x) => x.toLowerCase()));
  const base = p.enrol.base ?? d.base;
  const client = await connectDirectory(d);
  let step = 'connect';
  try {
    const optOutGroup = p.optOut?.group ? normalDn(p.optOut.group) : undefined;
    const members = p.optOut?.group ? await groupMembers(client, d, p.optOut.group) : new Set<string>();
    step = `search ${base}`;
    const users: EnrolledUser[] = [];
    const seen = new Set<string>();
    let entries = 0;
    let pages = 0;
    let withoutAddress = 0;
    let optedOut = 0;
    let excluded = 0;
    let duplicates = 0;
    const optValue = p.optOut?.value?.toLowerCase();
    for await (const page of client.searchPaginated(base, { scope: 'sub', filter: p.enrol.filter, attributes, paged: { pageSize: p.enrol.pageSize } })) {
      if (opts.signal?.aborted) throw new DirectoryError('enrolment stopped');
      pages++;
      for (const e of page.searchEntries) {
        entries++;
        const imAddress = addressOf(e, p.enrol.imAddress);
        if (!imAddress) {
          withoutAddress++;
          continue;
        }
        const username = values(e, usernameAttr)[0] ?? imAddress.split('@')[0]!;
        if (
          (optOutGroup && (members.has(normalDn(e.dn)) || values(e, memberOfAttr).some((g) => normalDn(g) === optOutGroup))) ||
          (p.optOut?.attribute && values(e, p.optOut.attribute).some((v) => v !== '' && (optValue === undefined || v.toLowerCase() === optValue)))
        ) {
          optedOut++;
          continue;
        }
        if (exclude.has(imAddress) || exclude.has(username.toLowerCase())) {
          excluded++;
          continue;
        }
        if (seen.has(imAddress)) {
          duplicates++;
          continue;
        }
        seen.add(imAddress);
        const sourceId = opts.idAttribute ? values(e, opts.idAttribute)[0] : undefined;
        users.push(sourceId ? { imAddress, username, dn: e.dn, sourceId } : { imAddress, username, dn: e.dn });
      }
    }
    return { users, entries, pages, withoutAddress, optedOut, excluded, duplicates, ms: performance.now() - t0 };
  } catch (e) {
    throw explain(d, step, e);
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

/** a client connected and bound as the directory section says (StartTLS first when asked), for
 *  presence's enrolment and rules' memberOf; throws DirectoryError with a message for the admin */
export async function connectDirectory(d: DirectoryConfig): Promise<Client> {
  const ldaps = /^ldaps:/i.test(d.url);
  const tls = tlsOptions(d);
  // ldapts: tlsOptions on the client mean TLS from the start, even for ldap://; StartTLS gets them itself
  const client = new Client({ url: d.url, timeout: d.timeoutMs, connectTimeout: d.timeoutMs, ...(ldaps ? { tlsOptions: tls } : {}) });
  let step = 'connect';
  try {
    if (d.tls.starttls) {
      step = 'StartTLS';
      await client.startTLS(tls);
    }
    if (d.bindDn !== undefined) {
      step = `bind as ${d.bindDn}`;
      await client.bind(d.bindDn, d.password!.reveal());
    }
    return client;
  } catch (e) {
    await client.unbind().catch(() => undefined);
    throw explain(d, step, e);
  }
}
