// directory: the LDAP directory (Active Directory, OpenLDAP) that says who is who; presence maps
// accounts to mailboxes with it and rules test group membership (memberOf) with it.
import * as z from 'zod';
import { defineSection } from '../section.js';
import { filePath, joinSecret, secretKeys } from '../refs.js';
import { bool, got, hostName, text, timeoutMs, urlOf, wholeNumber } from '../fields.js';

/** a filter in parentheses with balanced parentheses (literal ones are escaped as \28 \29 in LDAP) */
export function isLdapFilter(s: string): boolean {
  if (!s.startsWith('(') || !s.endsWith(')')) return false;
  let depth = 0;
  for (const c of s) {
    if (c === '(') depth++;
    else if (c === ')' && --depth < 0) return false;
  }
  return depth === 0;
}

function ldapFilter(byDefault: string) {
  return text('an LDAP filter')
    .refine(isLdapFilter, { error: (iss) => `expected an LDAP filter in balanced parentheses, like (objectClass=user), got ${got(iss.input)}` })
    .default(byDefault);
}

function attribute(byDefault: string) {
  // an attribute description: a name (letters, digits, hyphens) or an OID
  return text('an LDAP attribute name')
    .regex(/^([A-Za-z][A-Za-z0-9-]*|\d+(\.\d+)+)$/, { error: (iss) => `expected an LDAP attribute name, got ${got(iss.input)}` })
    .default(byDefault);
}

export const directorySection = defineSection({
  key: 'directory',
  schema: z
    .strictObject({
      url: urlOf(['ldap', 'ldaps'], 'an ldap:// or ldaps:// URL', { noPath: 'expected ldap://host[:port] without a path: the search base goes in base:' }),
      bindDn: text('the DN (or user@domain) to bind as').optional(),
      ...secretKeys('password'),
      base: text('the search base DN, like DC=corp,DC=example'),
      userFilter: ldapFilter('(&(objectClass=person)(mail=*))'),
      groupFilter: ldapFilter('(|(objectClass=group)(objectClass=groupOfNames))'),
      attributes: z
        .strictObject({
          account: attribute('sAMAccountName'),
          mail: attribute('mail'),
          displayName: attribute('displayName'),
          memberOf: attribute('memberOf'),
          aliases: attribute('proxyAddresses'),
        })
        .prefault({}),
      tls: z
        .strictObject({
          caFile: filePath('the path of a CA certificate file (PEM)').optional(),
          verify: bool().default(true),
          starttls: bool().default(false),
          serverName: hostName().optional(),
        })
        .prefault({}),
      timeoutMs: timeoutMs(10_000),
      groupCacheSeconds: wholeNumber('seconds', 0, 86_400).default(300),
    })
    .transform((o, ctx) => joinSecret(o, 'password', ctx))
    .superRefine((o, ctx) => {
      if (o.bindDn !== undefined && !o.password)
        ctx.addIssue({ code: 'custom', message: 'a bind DN needs its password: give passwordFile: PATH or passwordEnv: NAME', path: ['bindDn'] });
      if (o.bindDn === undefined && o.password)
        ctx.addIssue({
          code: 'custom',
          message: 'a password without bindDn: say whom to bind as (or remove the password for an anonymous bind)',
          path: [o.password.key],
        });
      if (o.tls.starttls && /^ldaps:/i.test(o.url))
        ctx.addIssue({ code: 'custom', message: 'starttls is for ldap:// URLs; ldaps:// is TLS from the start', path: ['tls', 'starttls'] });
    }),
  doc: `# The LDAP directory (Active Directory or OpenLDAP): who is who. Presence maps accounts to
# mailboxes with it; rules test group membership (memberOf) with it.
directory:
  url: ldaps://dc1.corp.example:636               # ldap:// or ldaps://
  bindDn: CN=svc-mxray,OU=Service Accounts,DC=corp,DC=example
  passwordFile: /etc/mxray/ldap.password          # or passwordEnv: NAME; never the password itself
  base: DC=corp,DC=example
  userFilter: (&(objectClass=user)(mail=*))       # default (&(objectClass=person)(mail=*))
  groupFilter: (objectClass=group)                # default: group or groupOfNames
  attributes:                                     # the directory's names for what mxray reads
    account: sAMAccountName                       # uid on OpenLDAP
    mail: mail
    displayName: displayName
    memberOf: memberOf
    aliases: proxyAddresses                       # more addresses of a mailbox
  tls:
    # caFile: /etc/mxray/corp-ca.pem              # trust this CA (PEM) besides the system's
    verify: true                                  # false accepts any certificate: for tests only
    starttls: false                               # true: ldap:// then STARTTLS (not with ldaps://)
  timeoutMs: 10000
  groupCacheSeconds: 300                          # how long rules reuse a user's groups (memberOf); 0: ask every time
`,
});
