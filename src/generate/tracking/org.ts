// The organisation: servers with their databases, the mailboxes (people in three behaviour groups
// plus a few shared mailboxes) spread over the servers, the distribution groups and the outside
// contacts. Built once from the seed; every generation renders the same organisation.
import { Random, cumulativeSums } from './random.js';
import {
  allStaffMax,
  behaviours,
  contactsPerPartner,
  externalDomains,
  firstNames,
  lastNames,
  membersPerTeam,
  organisation,
  rates,
  sharedFrom,
  sharedMailboxes,
  teams,
  type Behaviour,
  type ExternalDomain,
} from './tables.js';

export interface Database {
  readonly name: string;
  readonly guid: string;
}

export interface Server {
  readonly index: number;
  /** NetBIOS name: EX01 */
  readonly name: string;
  /** EX01.contoso.com */
  readonly fqdn: string;
  readonly ipv4: string;
  /** link-local address as Exchange 2013+ logs it for loopback traffic */
  readonly ipv6: string;
  /** interface index of the link-local address (the %n suffix) */
  readonly scope: number;
  readonly databases: readonly Database[];
}

export interface Mailbox {
  readonly index: number;
  /** display name: Alice Johnson */
  readonly name: string;
  /** primary SMTP address as the directory spells it (Alice.Johnson@contoso.com) */
  readonly smtp: string;
  /** the same in lower case: the key of the truth for 2003 and later */
  readonly address: string;
  /** Exchange 5.5 alias: ALICEJ */
  readonly alias: string;
  /** Exchange 5.5 distinguished name: /o=CONTOSO/ou=SITE1/cn=Recipients/cn=ALICEJ */
  readonly dn: string;
  readonly guid: string;
  readonly server: Server;
  readonly database: Database;
  readonly behaviour: Behaviour;
  /** nominal messages per average day of the period */
  readonly sentPerDay: number;
  readonly receivedPerDay: number;
  /** share of recipient slots that go to the internet */
  readonly externalShare: number;
  /** index into Org.teams, -1 for shared mailboxes */
  readonly team: number;
  readonly workstation: string;
  readonly overQuota: boolean;
}

export interface DistributionGroup {
  readonly name: string;
  readonly smtp: string;
  readonly address: string;
  readonly dn: string;
  readonly members: readonly Mailbox[];
}

export interface Team {
  readonly name: string;
  readonly group: DistributionGroup;
  readonly members: readonly Mailbox[];
  /** running sum of the members' receive weights, for weighted picks */
  readonly cumulative: Float64Array;
}

export interface ExternalContact {
  readonly address: string;
  readonly domain: ExternalDomain;
}

export interface Org {
  readonly domain: string;
  readonly servers: readonly Server[];
  readonly mailboxes: readonly Mailbox[];
  /** people only (not the shared mailboxes) */
  readonly people: readonly Mailbox[];
  readonly teams: readonly Team[];
  /** every distribution group: team groups, managers, the organisation-wide group */
  readonly groups: readonly DistributionGroup[];
  readonly managers: DistributionGroup;
  readonly allStaff: DistributionGroup;
  readonly helpdesk: Mailbox | undefined;
  readonly reports: Mailbox | undefined;
  /** running sum of every mailbox's receive weight */
  readonly cumulative: Float64Array;
  readonly contacts: readonly ExternalContact[];
  readonly contactCumulative: Float64Array;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

function legacyDn(alias: string): string {
  return `/o=${organisation.legacyOrg}/ou=${organisation.legacySite}/cn=Recipients/cn=${alias}`;
}

function group(name: string, local: string, members: readonly Mailbox[]): DistributionGroup {
  const smtp = `${local}@${organisation.domain}`;
  return { name, smtp, address: smtp.toLowerCase(), dn: legacyDn(local.toUpperCase().replace(/-/g, '')), members };
}

/** receive weights of mailboxes as running sums (every mailbox can be picked, however quiet) */
function cumulativeOf(xs: readonly Mailbox[]): Float64Array {
  return cumulativeSums(xs.map((m) => Math.max(0.05, m.receivedPerDay)));
}

function ascii(s: string): string {
  return s.normalize('NFD').replace(/[^A-Za-z]/g, '');
}

/** nominal per-day sent and received counts for a group: n drawn in its range, split by R/S */
function nominalRates(rng: Random, b: Exclude<Behaviour, 'shared'>): { sent: number; received: number; external: number } {
  const g = behaviours[b];
  const n = g.n[0] + (g.n[1] - g.n[0]) * rng.float() ** g.skew;
  const k = rng.real(g.receiveRatio[0], g.receiveRatio[1]);
  const sent = n / Math.sqrt((1 + k * k) / 2);
  return { sent, received: sent * k, external: rng.real(g.externalShare[0], g.externalShare[1]) };
}

export function buildOrg(seed: number, users: number, serverCount: number): Org {
  const rng = new Random(seed, 'org');
  const domain = organisation.domain;
  const servers: Server[] = [];
  for (let i = 0; i < serverCount; i++) {
    const name = `EX${pad2(i + 1)}`;
    const databases: Database[] = [];
    const dbs = users / serverCount > 150 ? 3 : 2;
    for (let d = 0; d < dbs; d++) databases.push({ name: `DB${pad2(i * dbs + d + 1)}`, guid: rng.guid() });
    const h = rng.hex(16);
    servers.push({
      index: i,
      name,
      fqdn: `${name}.${domain}`,
      ipv4: `${organisation.ipv4Prefix}${11 + i}`,
      ipv6: `fe80::${h.slice(0, 4)}:${h.slice(4, 8)}:${h.slice(8, 12)}:${h.slice(12, 16)}`,
      scope: rng.int(2, 14),
      databases,
    });
  }

  const shared = users >= sharedFrom ? sharedMailboxes.length : 0;
  const people = users - shared;
  // behaviour groups: exact shares, shuffled over the people
  const heavy = people >= 5 ? Math.max(1, Math.round(people * behaviours.heavy.share)) : 0;
  const medium = people >= 3 ? Math.max(1, Math.round(people * behaviours.medium.share)) : 0;
  const kinds: Exclude<Behaviour, 'shared'>[] = [];
  for (let i = 0; i < people; i++) kinds.push(i < heavy ? 'heavy' : i < heavy + medium ? 'medium' : 'light');
  rng.shuffle(kinds);

  const teamCount = Math.max(1, Math.ceil(people / membersPerTeam));
  const mailboxes: Mailbox[] = [];
  // names repeat in a large organisation: the second Alice.Johnson is Alice.Johnson2
  const usedSmtp = new Map<string, number>();
  const usedAlias = new Map<string, number>();
  const unique = (used: Map<string, number>, base: string): string => {
    const n = (used.get(base.toLowerCase()) ?? 0) + 1;
    used.set(base.toLowerCase(), n);
    return n === 1 ? base : `${base}${n}`;
  };
  // a few people over their quota warning limit (at least one in any organisation of people)
  const overQuota = new Set(rng.shuffle(Array.from({ length: people }, (_, i) => i)).slice(0, Math.max(1, Math.round(people * rates.overQuota))));
  // teams cut across servers, as in a real organisation
  const teamOf = rng.shuffle(Array.from({ length: people }, (_, i) => i % teamCount));
  for (let i = 0; i < users; i++) {
    const server = servers[i % serverCount]!;
    const database = server.databases[Math.floor(i / serverCount) % server.databases.length]!;
    const sharedDef = i >= people ? sharedMailboxes[i - people]! : undefined;
    let name: string, local: string, alias: string;
    let r: { sent: number; received: number; external: number };
    let behaviour: Behaviour;
    if (sharedDef) {
      name = sharedDef.name;
      local = unique(usedSmtp, sharedDef.local);
      alias = unique(usedAlias, sharedDef.alias);
      r = { sent: sharedDef.sentPerDay, received: sharedDef.receivedPerDay, external: sharedDef.externalShare };
      behaviour = 'shared';
    } else {
      const first = rng.pick(firstNames),
        last = rng.pick(lastNames);
      name = `${first} ${last}`;
      local = unique(usedSmtp, `${first}.${ascii(last)}`);
      alias = unique(usedAlias, (ascii(first) + ascii(last)[0]).toUpperCase());
      behaviour = kinds[i]!;
      r = nominalRates(rng, behaviour);
    }
    const smtp = `${local}@${domain}`;
    mailboxes.push({
      index: i,
      name,
      smtp,
      address: smtp.toLowerCase(),
      alias,
      dn: legacyDn(alias),
      guid: rng.guid(),
      server,
      database,
      behaviour,
      sentPerDay: r.sent,
      receivedPerDay: r.received,
      externalShare: r.external,
      team: sharedDef ? -1 : teamOf[i]!,
      workstation: `${organisation.workstationPrefix}${rng.int(1, 30)}.${rng.int(10, 250)}`,
      overQuota: overQuota.has(i),
    });
  }
  const persons = mailboxes.slice(0, people);

  const byTeam: Mailbox[][] = Array.from({ length: teamCount }, () => []);
  for (const m of persons) byTeam[m.team]!.push(m);
  const teamList: Team[] = [];
  for (let t = 0; t < teamCount; t++) {
    const members = byTeam[t]!;
    // more teams than names: Sales, Sales 2, Sales 3 … (sales@, sales-2@ …)
    const def = teams[t % teams.length]!;
    const k = Math.floor(t / teams.length) + 1;
    const name = k === 1 ? def.name : `${def.name} ${k}`;
    teamList.push({ name, group: group(name, k === 1 ? def.local : `${def.local}-${k}`, members), members, cumulative: cumulativeOf(members) });
  }
  const managers = group('Managers', 'managers', teamList.map((t) => t.members[0]!).filter(Boolean));
  const allStaff =
    persons.length <= allStaffMax
      ? group('All Staff', 'all-staff', persons)
      : group(
          'Company News',
          'company-news',
          rng
            .shuffle(persons.slice())
            .slice(0, allStaffMax)
            .sort((a, b) => a.index - b.index),
        );

  const contacts: ExternalContact[] = [];
  for (const d of externalDomains) {
    const count = d.kind === 'newsletter' ? 2 : contactsPerPartner + Math.floor(users / 40);
    const seen = new Set<string>();
    for (let i = 0; i < count; i++) {
      const local =
        d.kind === 'newsletter'
          ? i === 0
            ? 'newsletter'
            : 'noreply'
          : `${ascii(rng.pick(firstNames)).toLowerCase()}.${ascii(rng.pick(lastNames)).toLowerCase()}`;
      if (seen.has(local)) continue;
      seen.add(local);
      contacts.push({ address: `${local}@${d.name}`, domain: d });
    }
  }
  const contactCumulative = cumulativeSums(contacts.map((c) => c.domain.w));

  const shared0 = mailboxes.slice(people);
  return {
    domain,
    servers,
    mailboxes,
    people: persons,
    teams: teamList,
    groups: [...teamList.map((t) => t.group), managers, allStaff],
    managers,
    allStaff,
    helpdesk: shared0[0],
    reports: shared0[1],
    cumulative: cumulativeOf(mailboxes),
    contacts,
    contactCumulative,
  };
}
