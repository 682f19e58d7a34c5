// `memberOf`: is the user a field names a member, directly or through nested groups, of a group? The
// user is found in the directory (the `directory` section, bound the way presence binds) by the shape
// of the value: an address (mail, userPrincipalName, or an smtp: proxy address), DOMAIN\user or a bare
// account name (the account attribute: sAMAccountName, uid on OpenLDAP), a legacy Exchange DN
// (legacyExchangeDN, or an X500: proxy address after a migration), or an LDAP DN. Then all the groups
// the user is in are read at once and cached for cacheTtlMs, so every memberOf of every rule over the
// same user costs one look-up per period:
// - Active Directory (its root DSE names the capability 1.2.840.113556.1.4.800): one search with the
//   in-chain matching rule, (member:1.2.840.113556.1.4.1941:=<user DN>), which the server walks;
// - any other directory: mxray walks upward itself, one search per level for the groups whose member
//   or uniqueMember holds the level's DNs, plus their memberOf values, with cycles cut and a depth bound.
// An unknown user is in no group (false). A directory that cannot be reached is an error (a
// DirectoryError), never a silent false: the engine decides what a rule over it means.
import { Filter, NoSuchObjectError, type Client, type Entry } from 'ldapts';
import { connectDirectory, type DirectoryConfig, DirectoryError, explain, normalDn } from '../../presence/directory.js';
import type { MembershipResolver } from '../ports.js';

export const AD_CAPABILITY = '1.2.840.113556.1.4.800';
export const IN_CHAIN = '1.2.840.113556.1.4.1941';

export interface MembershipOptions {
  /** how long a user's groups are reused (default 5 minutes); 0: not cached */
  readonly cacheTtlMs?: number;
  /** users whose groups are kept at most (default 10,000; the oldest go first) */
  readonly cacheEntries?: number;
  /** auto (default): in-chain on Active Directory, else walk; or force one */
  readonly nested?: 'auto' | 'in-chain' | 'walk';
  /** levels of nesting walked at most (default 32) */
  readonly maxDepth?: number;
  /** the clock, for tests of the cache */
  readonly now?: () => number;
}

/** how a field value names a user, and the search that finds the user */
export type UserShape = 'address' | 'account' | 'legacy-dn' | 'dn';

const eq = (attr: string, value: string) => `(${attr}=${Filter.escape(value)})`;

/** the shape of a user value and the LDAP filter (or DN) that finds the entry; undefined: not a user */
export function userQuery(user: string, d: DirectoryConfig): { shape: UserShape; filter: string } | { shape: 'dn'; dn: string } | undefined {
  let v = user.trim();
  if (v === '' || v === '-') return undefined;
  const a = d.attributes;
  if (/^\/o=/i.test(v)) return { shape: 'legacy-dn', filter: `(|${eq('legacyExchangeDN', v)}${eq(a.aliases, `X500:${v}`)})` };
  if (/^x500:\/o=/i.test(v)) {
    v = v.slice(5);
    return { shape: 'legacy-dn', filter: `(|${eq('legacyExchangeDN', v)}${eq(a.aliases, `X500:${v}`)})` };
  }
  const smtp = /^smtp:/i.test(v) ? v.slice(5) : v;
  if (/^[^@\s\\]+@[^@\s\\]+$/.test(smtp))
    return { shape: 'address', filter: `(|${eq(a.mail, smtp)}${eq(a.aliases, `smtp:${smtp}`)}${eq('userPrincipalName', smtp)})` };
  const dom = /^[^\\]+\\([^\\]+)$/.exec(v);
  if (dom) return { shape: 'account', filter: eq(a.account, dom[1]!) };
  if (/^[A-Za-z][A-Za-z0-9-]*=[^,]+(,[A-Za-z][A-Za-z0-9-]*=.+)*$/.test(v)) return { shape: 'dn', dn: v };
  if (/^[^\s=,\\/@]+$/.test(v)) return { shape: 'account', filter: eq(a.account, v) };
  return undefined;
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

/** DNs per search in the walk (a filter of many alternatives is still one request) */
const CHUNK = 50;

/** the user's groups (normalised DNs), or null: no such user */
type Groups = ReadonlySet<string> | null;

export class LdapMembership implements MembershipResolver {
  private client: Client | undefined;
  private connecting: Promise<Client> | undefined;
  private activeDirectory: boolean | undefined;
  private readonly cache = new Map<string, { expires: number; groups: Promise<Groups> }>();
  private readonly ttl: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  /** directory searches made (tests check the cache) */
  searches = 0;

  constructor(
    private readonly d: DirectoryConfig,
    private readonly opts: MembershipOptions = {},
  ) {
    this.ttl = opts.cacheTtlMs ?? 300_000;
    this.maxEntries = opts.cacheEntries ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  async isMember(user: string, groupDn: string): Promise<boolean> {
    const groups = await this.groupsOf(user);
    return groups?.has(normalDn(groupDn)) ?? false;
  }

  /** every group the user is in, directly or nested (normalised DNs); null: the directory has no such user */
  groupsOf(user: string): Promise<Groups> {
    const key = user.trim().toLowerCase();
    const t = this.now();
    const hit = this.cache.get(key);
    if (hit && hit.expires > t) return hit.groups;
    if (hit) this.cache.delete(key);
    const groups = this.lookUp(user);
    if (this.ttl > 0) {
      this.cache.set(key, { expires: t + this.ttl, groups });
      // a failure is not remembered: the next event asks again
      groups.catch(() => this.cache.get(key)?.groups === groups && this.cache.delete(key));
      while (this.cache.size > this.maxEntries) this.cache.delete(this.cache.keys().next().value!);
    }
    return groups;
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    this.connecting = undefined;
    await c?.unbind().catch(() => undefined);
  }

  private async connection(): Promise<Client> {
    if (this.client?.isConnected) return this.client;
    this.client = undefined;
    this.connecting ??= connectDirectory(this.d).then(
      (c) => {
        this.client = c;
        this.connecting = undefined;
        return c;
      },
      (e: unknown) => {
        this.connecting = undefined;
        throw e;
      },
    );
    return this.connecting;
  }

  private async search(client: Client, step: string, base: string, scope: 'base' | 'sub', filter: string, attributes: string[]): Promise<Entry[]> {
    this.searches++;
    const out: Entry[] = [];
    try {
      if (scope === 'base') return (await client.search(base, { scope, filter, attributes })).searchEntries;
      for await (const page of client.searchPaginated(base, { scope, filter, attributes, paged: { pageSize: 500 } })) out.push(...page.searchEntries);
      return out;
    } catch (e) {
      if (e instanceof NoSuchObjectError && scope === 'base') return [];
      // a broken connection is made again on the next look-up
      await this.close();
      throw explain(this.d, step, e);
    }
  }

  private async isActiveDirectory(client: Client): Promise<boolean> {
    if (this.opts.nested === 'in-chain') return true;
    if (this.opts.nested === 'walk') return false;
    if (this.activeDirectory === undefined) {
      const root = await this.search(client, 'read the root DSE', '', 'base', '(objectClass=*)', ['supportedCapabilities']);
      this.activeDirectory = root[0] ? values(root[0], 'supportedCapabilities').includes(AD_CAPABILITY) : false;
    }
    return this.activeDirectory;
  }

  private async lookUp(user: string): Promise<Groups> {
    const q = userQuery(user, this.d);
    if (!q) return null;
    const client = await this.connection();
    const memberOf = this.d.attributes.memberOf;
    const entries =
      'dn' in q
        ? await this.search(client, `read ${q.dn}`, q.dn, 'base', '(objectClass=*)', [memberOf])
        : await this.search(client, `find ${user} under ${this.d.base}`, this.d.base, 'sub', q.filter, [memberOf]);
    if (entries.length === 0) return null;
    const groups = new Set<string>();
    // several entries for one value (an address on two accounts): the user is in the groups of each
    for (const e of entries) {
      if (await this.isActiveDirectory(client)) {
        const found = await this.search(client, `groups of ${e.dn}`, this.d.base, 'sub', `(member:${IN_CHAIN}:=${Filter.escape(e.dn)})`, ['1.1']);
        for (const g of found) groups.add(normalDn(g.dn));
      } else {
        for (const g of await this.walk(client, e)) groups.add(g);
      }
    }
    return groups;
  }

  /** the groups above an entry, level by level: the groups listing a DN as member or uniqueMember,
   *  and the memberOf values of each entry read */
  private async walk(client: Client, user: Entry): Promise<Set<string>> {
    const memberOf = this.d.attributes.memberOf;
    const seen = new Set<string>([normalDn(user.dn)]);
    const groups = new Set<string>();
    /** a group found: a new one is asked about at the next level; one seen before (a cycle, or a
     *  group reached two ways) is not */
    const take = (dn: string, ups: string[], next: { dn: string; ups: string[] }[]) => {
      const clean = dn.replace(/#'[01]*'B$/, '');
      const n = normalDn(clean);
      if (seen.has(n)) return;
      seen.add(n);
      groups.add(n);
      next.push({ dn: clean, ups });
    };
    // each level: the groups holding the level's DNs (member, uniqueMember) and the level's own
    // memberOf values (read with the entries: the user's, and those of the groups the search found)
    let frontier = [{ dn: user.dn, ups: values(user, memberOf) }];
    const maxDepth = this.opts.maxDepth ?? 32;
    for (let depth = 0; frontier.length > 0 && depth < maxDepth; depth++) {
      const next: { dn: string; ups: string[] }[] = [];
      for (let i = 0; i < frontier.length; i += CHUNK) {
        const part = frontier.slice(i, i + CHUNK).map((f) => f.dn);
        const filter = `(|${part.map((dn) => `${eq('member', dn)}${eq('uniqueMember', dn)}`).join('')})`;
        for (const g of await this.search(client, `find the groups holding ${part[0]}`, this.d.base, 'sub', filter, [memberOf]))
          take(g.dn, values(g, memberOf), next);
      }
      for (const f of frontier) for (const up of f.ups) take(up, [], next);
      frontier = next;
    }
    return groups;
  }
}

/** a membership resolver over the directory section */
export function ldapMembership(d: DirectoryConfig | undefined, opts: MembershipOptions = {}): MembershipResolver & { groupsOf(user: string): Promise<Groups> } {
  if (!d) {
    const missing = () => Promise.reject(new DirectoryError('memberOf needs the directory section of mxray.yaml (url, base, bind)'));
    return { isMember: missing, groupsOf: missing, close: async () => undefined };
  }
  return new LdapMembership(d, opts);
}
