// presence: whom to watch (enrolment from the directory: section), where their presence comes from
// (a source of sources.ts), how often, and what is kept (the seed's daily log files, retention,
// aggregate-only). Read by `mxray presence poll` and by `mxray serve`'s poller.
import * as z from 'zod';
import { defineSection } from '../../config/section.js';
import { bool, got, text, wholeNumber } from '../../config/fields.js';
import { filePath } from '../../config/refs.js';
import { isLdapFilter } from '../../config/sections/directory.js';
import { attributeName, duration } from './settings.js';
import { presenceSources, sourceNames, type SourceName } from './sources.js';

/** users with an IM address of Exchange 2000 IM, of LCS/OCS/Lync/Skype for Business, or a SIP: proxy address */
export const defaultEnrolFilter = '(&(|(objectClass=user)(objectClass=person))(|(msExchIMAddress=*)(msRTCSIP-PrimaryUserAddress=*)(proxyAddresses=SIP:*)))';

/** the attributes tried in order for the IM address (the first that has one wins) */
export const defaultImAttributes = ['msExchIMAddress', 'msRTCSIP-PrimaryUserAddress', 'proxyAddresses'] as const;

const oneOrMore = <T extends z.ZodType>(item: T) => z.union([item.transform((v) => [v]), z.array(item).min(1)]);

const sourceKeys = Object.fromEntries(sourceNames.map((n) => [n, presenceSources[n].settings.optional()])) as {
  [K in SourceName]: z.ZodOptional<(typeof presenceSources)[K]['settings']>;
};

export const presenceSection = defineSection({
  key: 'presence',
  schema: z
    .strictObject({
      interval: duration('an interval', 10_000, 86_400_000).default(900_000),
      source: z.enum(sourceNames as [SourceName, ...SourceName[]], { error: (iss) => `expected ${sourceNames.join(' or ')}, got ${got(iss.input)}` }),
      ...sourceKeys,
      enrol: z
        .strictObject({
          /** default: the directory's base */
          base: text('a search base DN').optional(),
          filter: text('an LDAP filter')
            .refine(isLdapFilter, { error: (iss) => `expected an LDAP filter in balanced parentheses, got ${got(iss.input)}` })
            .default(defaultEnrolFilter),
          /** the attribute(s) holding the IM address, tried in order */
          imAddress: oneOrMore(attributeName()).default([...defaultImAttributes]),
          /** the account name as the seed's log writes it; default: the directory's attributes.account */
          username: attributeName().optional(),
          /** entries per page of the paged search (Active Directory's cap is 1000) */
          pageSize: wholeNumber('entries per page', 1, 1000).default(1000),
        })
        .prefault({}),
      optOut: z
        .strictObject({
          /** members of this group (its member attribute, or the user's memberOf) are not watched */
          group: text('the DN of a group').optional(),
          /** users with this attribute (and value, when given) are not watched */
          attribute: attributeName().optional(),
          // YAML reads TRUE as a boolean: LDAP writes booleans TRUE/FALSE, and compares them as text
          value: z.preprocess((v) => (typeof v === 'boolean' ? (v ? 'TRUE' : 'FALSE') : typeof v === 'number' ? String(v) : v), text('a value')).optional(),
        })
        .superRefine((o, ctx) => {
          if (o.value !== undefined && o.attribute === undefined)
            ctx.addIssue({ code: 'custom', message: 'a value without attribute: say which attribute holds it', path: ['value'] });
        })
        .optional(),
      /** IM addresses or account names never watched (case does not matter) */
      exclude: z.array(text('an IM address or account name')).default([]),
      /** the seed's daily log files (YYYYMMDD.log) go here; none when absent */
      logDir: filePath('a folder').optional(),
      /** keep per-user per-day totals only: no per-sample history, in the store or the log files */
      aggregateOnly: bool().default(false),
      /** samples older than this are pruned (`mxray presence prune`); none: kept */
      retention: duration('a retention', 86_400_000, 3650 * 86_400_000).optional(),
    })
    .superRefine((o, ctx) => {
      if (o[o.source] === undefined) ctx.addIssue({ code: 'custom', message: `source: ${o.source} needs its settings under ${o.source}:`, path: ['source'] });
      if (o.aggregateOnly && o.logDir !== undefined)
        ctx.addIssue({
          code: 'custom',
          message: 'aggregateOnly writes no per-sample history: remove logDir (the daily log files are that history)',
          path: ['logDir'],
        });
    }),
  doc: `# Presence: who is online, busy, away, over time (the seed's Exchange 2000 IM state logging). Whom to
# watch comes from directory: (re-read every cycle); their presence from one source.
presence:
  interval: 15m                                   # one sample of every user per interval (30s … 24h)
  source: xmpp                                    # xmpp or graph
${Object.values(presenceSources)
  .map((s) => s.doc)
  .join('')}  enrol:
    # base: OU=Staff,DC=corp,DC=example           # default: directory.base; the whole subtree is read
    filter: (&(objectClass=user)(|(msExchIMAddress=*)(msRTCSIP-PrimaryUserAddress=*)(proxyAddresses=SIP:*)))
    imAddress: [msExchIMAddress, msRTCSIP-PrimaryUserAddress, proxyAddresses]  # first with a value wins (SIP:/xmpp: stripped)
    username: sAMAccountName                      # default: directory.attributes.account
    pageSize: 1000                                # paged search (Active Directory caps a page at 1000)
  optOut:
    group: CN=No presence logging,OU=Groups,DC=corp,DC=example
    # attribute: extensionAttribute15             # users with it are not watched
    # value: nopresence                           # … only with this value
  exclude: [ceo@corp.example, svc-backup]         # IM addresses or account names
  logDir: imlogs                                  # the seed's daily YYYYMMDD.log files
  aggregateOnly: false                            # true: per-day totals only, no history
  retention: 90d                                  # \`mxray presence prune\` removes older samples
`,
});

export type PresenceConfig = z.output<typeof presenceSection.schema>;
