// The test directory slapd serves (dc=example,dc=org), generated here with its truth: the list of users
// with their DN, IM address, opt-out and groups, for presence tests to compare against (never against
// the code under test). Deterministic: the same directory every run.
//
//   dc=example,dc=org
//     ou=People                 users at every level
//       ou=Europe / ou=Berlin, ou=Paris
//       ou=America / ou=Boston, ou=Toronto
//     cn=Users                  an AD-style container (objectClass container, from probe-im.schema)
//     ou=Groups                 groupOfNames: Staff, Berlin Office, Europe (has Berlin Office as a
//                               member: nested), Presence Opt-Out; Executive Assistants and Delegates
//                               are members of each other (a cycle, for rules' memberOf)
//     ou=Service                cn=reader: the read-only bind account
//
// IM addresses: generated user N has msExchIMAddress when N % 3 == 0, labeledURI "xmpp:… XMPP" when
// N % 3 == 1, none when N % 3 == 2. alice, carol and eve have msExchIMAddress, bob and dave labeledURI:
// they are also Prosody accounts (prosody.ts), so presence tests can join the two.
// Opt-out: user0003 by the attribute presenceOptOut: TRUE, user0004 by membership of Presence Opt-Out.
// Users' memberOf (direct groups, as AD has it) is written too (the memberof overlay defines it).
// The named users carry Exchange's addresses too: proxyAddresses (SMTP:uid@example.org primary,
// smtp:uid@corp.example secondary, X500:<old legacy DN>) and legacyExchangeDN, for rules' memberOf.

export const DIRECTORY_BASE = 'dc=example,dc=org';
export const DIRECTORY_DOMAIN = 'example.org';
/** the admin (rootdn): ignores size limits, so paging must be tested as another account */
export const DIRECTORY_ADMIN = { dn: `cn=admin,${DIRECTORY_BASE}`, password: 'adminpw' } as const;
/** the read-only bind account */
export const DIRECTORY_READER = { dn: `cn=reader,ou=Service,${DIRECTORY_BASE}`, password: 'readerpw' } as const;
/** the server's soft size limit: an un-paged search by a non-admin returns at most this many entries */
export const DIRECTORY_SIZE_LIMIT = 10;
/** the opt-out attribute (BOOLEAN, from probe-im.schema) and the opt-out group */
export const OPT_OUT_ATTRIBUTE = 'presenceOptOut';
export const OPT_OUT_GROUP = `cn=Presence Opt-Out,ou=Groups,${DIRECTORY_BASE}`;
/** how many users the directory holds (more than one page of any usual page size) */
export const DIRECTORY_USER_COUNT = 1200;

export type ImAttribute = 'msExchIMAddress' | 'labeledURI';

export interface DirectoryUser {
  readonly dn: string;
  readonly uid: string;
  readonly cn: string;
  readonly mail: string;
  /** the bind password (uid + "pw") */
  readonly password: string;
  /** the bare IM address (alice@example.org), or null when the user has none */
  readonly im: string | null;
  /** the attribute holding it */
  readonly imAttribute: ImAttribute | null;
  /** the attribute's value as stored (labeledURI: "xmpp:alice@example.org XMPP") */
  readonly imValue: string | null;
  /** excluded from presence: by the attribute or by the opt-out group */
  readonly optedOut: boolean;
  readonly optOut: 'attribute' | 'group' | null;
  /** DNs of the groups the user is a direct member of (= memberOf) */
  readonly groups: readonly string[];
  /** direct and nested groups */
  readonly allGroups: readonly string[];
  /** Exchange's addresses (named users only; [] otherwise) */
  readonly proxyAddresses: readonly string[];
  /** Exchange's legacy DN (named users only) */
  readonly legacyExchangeDN: string | null;
}

export interface DirectoryGroup {
  readonly dn: string;
  readonly cn: string;
  /** direct members (users and groups) */
  readonly members: readonly string[];
}

export interface DirectoryTruth {
  readonly base: string;
  readonly users: readonly DirectoryUser[];
  readonly groups: readonly DirectoryGroup[];
  /** every container (ou= and cn=Users) DN, parents first */
  readonly containers: readonly string[];
}

const B = DIRECTORY_BASE;
const PEOPLE = `ou=People,${B}`;
const LOCATIONS = [
  `ou=Berlin,ou=Europe,${PEOPLE}`,
  `ou=Paris,ou=Europe,${PEOPLE}`,
  `ou=Boston,ou=America,${PEOPLE}`,
  `ou=Toronto,ou=America,${PEOPLE}`,
  `ou=Europe,${PEOPLE}`,
  PEOPLE,
  `cn=Users,${B}`,
];
const G = (cn: string): string => `cn=${cn},ou=Groups,${B}`;
const STAFF = G('Staff'),
  BERLIN = G('Berlin Office'),
  EUROPE = G('Europe');
/** members of each other: a cycle */
export const EXECUTIVE_ASSISTANTS = G('Executive Assistants');
export const DELEGATES = G('Delegates');
/** Exchange's legacy DN of a named user */
export const legacyDnOf = (uid: string): string => `/o=Example/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=${uid}`;
/** the legacy DN a named user had before a migration (kept as an X500: proxy address) */
export const oldLegacyDnOf = (uid: string): string => `/o=Example Old/ou=First Administrative Group/cn=Recipients/cn=${uid}`;

/** the named users, who are also XMPP accounts: [uid, container, IM attribute] */
const NAMED: readonly [string, string, ImAttribute][] = [
  ['alice', LOCATIONS[0]!, 'msExchIMAddress'],
  ['bob', LOCATIONS[1]!, 'labeledURI'],
  ['carol', LOCATIONS[2]!, 'msExchIMAddress'],
  ['dave', `cn=Users,${B}`, 'labeledURI'],
  ['eve', PEOPLE, 'msExchIMAddress'],
];

let cached: DirectoryTruth | undefined;

/** the directory's truth: every user (named first, then user0001…), group and container */
export function directoryTruth(): DirectoryTruth {
  if (cached) return cached;
  const draft: { uid: string; cn: string; parent: string; imAttribute: ImAttribute | null; optOut: 'attribute' | 'group' | null }[] = [];
  for (const [uid, parent, imAttribute] of NAMED) draft.push({ uid, cn: `${uid[0]!.toUpperCase()}${uid.slice(1)} Example`, parent, imAttribute, optOut: null });
  for (let n = 1; draft.length < DIRECTORY_USER_COUNT; n++) {
    const uid = `user${String(n).padStart(4, '0')}`;
    const imAttribute = n % 3 === 0 ? 'msExchIMAddress' : n % 3 === 1 ? 'labeledURI' : null;
    draft.push({ uid, cn: `User ${n}`, parent: LOCATIONS[n % LOCATIONS.length]!, imAttribute, optOut: n === 3 ? 'attribute' : n === 4 ? 'group' : null });
  }
  const dnOf = (d: (typeof draft)[number]): string => `uid=${d.uid},${d.parent}`;
  const groups: DirectoryGroup[] = [
    { dn: STAFF, cn: 'Staff', members: NAMED.map(([uid, parent]) => `uid=${uid},${parent}`) },
    { dn: BERLIN, cn: 'Berlin Office', members: draft.filter((d) => d.parent === LOCATIONS[0]).map(dnOf) },
    { dn: EUROPE, cn: 'Europe', members: [BERLIN, ...draft.filter((d) => d.parent === LOCATIONS[1]).map(dnOf)] },
    { dn: OPT_OUT_GROUP, cn: 'Presence Opt-Out', members: draft.filter((d) => d.optOut === 'group').map(dnOf) },
    { dn: EXECUTIVE_ASSISTANTS, cn: 'Executive Assistants', members: [`uid=carol,${LOCATIONS[2]}`, DELEGATES] },
    { dn: DELEGATES, cn: 'Delegates', members: [`uid=dave,cn=Users,${B}`, EXECUTIVE_ASSISTANTS] },
  ];
  const direct = (dn: string): string[] => groups.filter((g) => g.members.includes(dn)).map((g) => g.dn);
  const transitive = (dn: string): string[] => {
    const seen = new Set<string>();
    const walk = (x: string): void => {
      for (const g of direct(x))
        if (!seen.has(g)) {
          seen.add(g);
          walk(g);
        }
    };
    walk(dn);
    return [...seen].sort();
  };
  const users: DirectoryUser[] = draft.map((d) => {
    const dn = dnOf(d);
    const im = d.imAttribute ? `${d.uid}@${DIRECTORY_DOMAIN}` : null;
    const named = NAMED.some(([uid]) => uid === d.uid);
    return {
      dn,
      uid: d.uid,
      cn: d.cn,
      mail: `${d.uid}@${DIRECTORY_DOMAIN}`,
      password: `${d.uid}pw`,
      im,
      imAttribute: d.imAttribute,
      imValue: d.imAttribute === 'labeledURI' ? `xmpp:${im} XMPP` : im,
      optedOut: d.optOut !== null,
      optOut: d.optOut,
      groups: direct(dn),
      allGroups: transitive(dn),
      proxyAddresses: named ? [`SMTP:${d.uid}@${DIRECTORY_DOMAIN}`, `smtp:${d.uid}@corp.example`, `X500:${oldLegacyDnOf(d.uid)}`] : [],
      legacyExchangeDN: named ? legacyDnOf(d.uid) : null,
    };
  });
  const containers = [
    PEOPLE,
    `ou=Europe,${PEOPLE}`,
    LOCATIONS[0]!,
    LOCATIONS[1]!,
    `ou=America,${PEOPLE}`,
    LOCATIONS[2]!,
    LOCATIONS[3]!,
    `cn=Users,${B}`,
    `ou=Groups,${B}`,
    `ou=Service,${B}`,
  ];
  cached = { base: B, users, groups, containers };
  return cached;
}

/** the schema slapd loads besides core, cosine, inetorgperson and nis (private OIDs under 1.1) */
export const PROBE_SCHEMA = `# Test schema: an AD/Exchange-style IM address attribute, an opt-out flag, and AD's container class.
# OIDs under 1.1 (an unregistered arc for private experiments); clients search by NAME.
attributetype ( 1.1.2.1.1 NAME 'msExchIMAddress'
    DESC 'Instant messaging address (test stand-in for the Exchange attribute)'
    EQUALITY caseIgnoreMatch
    SUBSTR caseIgnoreSubstringsMatch
    SYNTAX 1.3.6.1.4.1.1466.115.121.1.15
    SINGLE-VALUE )
attributetype ( 1.1.2.1.2 NAME 'presenceOptOut'
    DESC 'TRUE: leave this user out of presence'
    EQUALITY booleanMatch
    SYNTAX 1.3.6.1.4.1.1466.115.121.1.7
    SINGLE-VALUE )
attributetype ( 1.1.2.1.3 NAME 'proxyAddresses'
    DESC 'Exchange addresses (test stand-in): SMTP:primary, smtp:secondary, X500:old legacy DN'
    EQUALITY caseIgnoreMatch
    SUBSTR caseIgnoreSubstringsMatch
    SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 )
attributetype ( 1.1.2.1.4 NAME 'legacyExchangeDN'
    DESC 'Exchange legacy DN (test stand-in)'
    EQUALITY caseIgnoreMatch
    SYNTAX 1.3.6.1.4.1.1466.115.121.1.15
    SINGLE-VALUE )
objectclass ( 1.1.2.2.1 NAME 'probeIMUser'
    DESC 'Auxiliary class carrying msExchIMAddress, presenceOptOut and the Exchange addresses'
    SUP top AUXILIARY
    MAY ( msExchIMAddress $ presenceOptOut $ proxyAddresses $ legacyExchangeDN ) )
objectclass ( 1.1.2.2.2 NAME 'container'
    DESC 'Active Directory style container (cn=Users)'
    SUP top STRUCTURAL
    MUST cn )
`;

function rdnValue(dn: string): [string, string] {
  const first = dn.split(',')[0]!;
  const i = first.indexOf('=');
  return [first.slice(0, i), first.slice(i + 1)];
}

/** the directory as LDIF (for slapadd) */
export function directoryLdif(truth: DirectoryTruth = directoryTruth()): string {
  const out: string[] = [];
  const entry = (lines: string[]): void => {
    out.push(`${lines.join('\n')}\n`);
  };
  entry([`dn: ${B}`, 'objectClass: top', 'objectClass: dcObject', 'objectClass: organization', 'o: Example Org', 'dc: example']);
  for (const c of truth.containers) {
    const [attr, value] = rdnValue(c);
    entry(attr === 'ou' ? [`dn: ${c}`, 'objectClass: organizationalUnit', `ou: ${value}`] : [`dn: ${c}`, 'objectClass: container', `cn: ${value}`]);
  }
  entry([
    `dn: ${DIRECTORY_READER.dn}`,
    'objectClass: organizationalRole',
    'objectClass: simpleSecurityObject',
    'cn: reader',
    'description: read-only bind account for the tests',
    `userPassword: ${DIRECTORY_READER.password}`,
  ]);
  const groupsOfGroup = (dn: string): string[] => truth.groups.filter((g) => g.members.includes(dn)).map((g) => g.dn);
  for (const g of truth.groups) {
    entry([
      `dn: ${g.dn}`,
      'objectClass: groupOfNames',
      `cn: ${g.cn}`,
      ...g.members.map((m) => `member: ${m}`),
      ...groupsOfGroup(g.dn).map((m) => `memberOf: ${m}`),
    ]);
  }
  for (const u of truth.users) {
    const aux = u.imAttribute === 'msExchIMAddress' || u.optOut === 'attribute' || u.legacyExchangeDN !== null;
    entry([
      `dn: ${u.dn}`,
      'objectClass: inetOrgPerson',
      ...(aux ? ['objectClass: probeIMUser'] : []),
      `uid: ${u.uid}`,
      `cn: ${u.cn}`,
      `sn: ${u.cn.split(' ').pop()}`,
      `mail: ${u.mail}`,
      `userPassword: ${u.password}`,
      ...(u.imAttribute ? [`${u.imAttribute}: ${u.imValue}`] : []),
      ...(u.optOut === 'attribute' ? [`${OPT_OUT_ATTRIBUTE}: TRUE`] : []),
      ...u.proxyAddresses.map((a) => `proxyAddresses: ${a}`),
      ...(u.legacyExchangeDN ? [`legacyExchangeDN: ${u.legacyExchangeDN}`] : []),
      ...u.groups.map((g) => `memberOf: ${g}`),
    ]);
  }
  return out.join('\n');
}
