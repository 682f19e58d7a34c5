// Settings shared by the presence section's parts: durations written the way admins write them
// (15m, 90d), LDAP attribute names, and each source's own settings (the sources registry in
// sources.ts pairs them with the code that opens the source).
import * as z from 'zod';
import { got, hostName, text, timeoutMs, urlOf, wholeNumber } from '../../config/fields.js';
import { joinSecret, secretKeys } from '../../config/refs.js';

const units = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** a duration as text: 90s, 15m, 1h, 90d (or a number of seconds); the output is milliseconds */
export function duration(what: string, minMs: number, maxMs: number) {
  const show = (ms: number) => (ms % 86_400_000 === 0 ? `${ms / 86_400_000}d` : ms % 60_000 === 0 ? `${ms / 60_000}m` : `${ms / 1000}s`);
  const error = (input: unknown) => `expected ${what} from ${show(minMs)} to ${show(maxMs)}, like 30s, 15m, 2h or 90d, got ${got(input)}`;
  return z.union([z.string(), z.number()], { error: (iss) => error(iss.input) }).transform((v, ctx) => {
    const m = typeof v === 'number' ? [String(v), String(v), 's'] : /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(v);
    const ms = m ? Number(m[1]) * units[m[2] as keyof typeof units] : Number.NaN;
    if (!Number.isFinite(ms) || ms < minMs || ms > maxMs) {
      ctx.issues.push({ code: 'custom', message: error(v), input: v });
      return z.NEVER;
    }
    return Math.round(ms);
  });
}

/** an LDAP attribute description: a name (letters, digits, hyphens) or an OID */
export function attributeName() {
  return text('an LDAP attribute name').regex(/^([A-Za-z][A-Za-z0-9-]*|\d+(\.\d+)+)$/, {
    error: (iss) => `expected an LDAP attribute name, got ${got(iss.input)}`,
  });
}

/** XMPP: one observer account that sees the users' presence through its roster */
export const xmppSettings = z
  .strictObject({
    service: urlOf(['xmpp', 'xmpps'], 'xmpp://host[:5222] (STARTTLS) or xmpps://host[:5223] (TLS from the start)', {
      noPath: 'expected xmpp://host[:port] or xmpps://host[:port] without a path',
    }),
    /** the XMPP domain (the part after @ of the JIDs); default: the service's host */
    domain: hostName().optional(),
    /** the observer's JID, user@domain */
    jid: text('the observer account, like mxray-observer@corp.example').regex(/^[^@/\s]+@[^@/\s]+$/, {
      error: (iss) => `expected the observer account as user@domain, got ${got(iss.input)}`,
    }),
    ...secretKeys('password'),
    /** ask each enrolled user not yet on the roster for a subscription (their client must approve);
     *  false: rely on shared groups the server puts on the roster (Prosody mod_groups, ejabberd
     *  shared rosters) */
    subscribe: z.boolean({ error: (iss) => `expected true or false, got ${got(iss.input)}` }).default(true),
    timeoutMs: timeoutMs(15_000),
  })
  .transform((o, ctx) => joinSecret(o, 'password', ctx))
  .superRefine((o, ctx) => {
    if (!o.password) ctx.addIssue({ code: 'custom', message: 'the observer needs its password: give passwordFile: PATH or passwordEnv: NAME', path: ['jid'] });
  });
export type XmppSettings = z.output<typeof xmppSettings>;

/** Microsoft Graph (Teams presence): an app registration with Presence.Read.All (application) */
export const graphSettings = z
  .strictObject({
    baseUrl: urlOf(['https', 'http'], 'an https:// URL').default('https://graph.microsoft.com/v1.0'),
    /** the tenant (id or name); the token URL is then login.microsoftonline.com's */
    tenant: text('the tenant id or name, like contoso.onmicrosoft.com').optional(),
    /** instead of tenant: the OAuth 2.0 token endpoint (a national cloud, a proxy, a test server) */
    tokenUrl: urlOf(['https', 'http'], 'an https:// URL').optional(),
    /** the scope asked for; default: the base URL's origin + /.default */
    scope: text('an OAuth scope').optional(),
    clientId: text('the application (client) id'),
    ...secretKeys('clientSecret'),
    /** ids per getPresencesByUserId call: at most 650 (the service's limit) */
    batchSize: wholeNumber('ids per call', 1, 650).default(650),
    /** the directory attribute that holds the user's Entra ID (Azure AD) object id: Exchange hybrid
     *  writes it back on premises as msDS-ExternalDirectoryObjectId (User_<guid>) */
    idAttribute: attributeName().default('msDS-ExternalDirectoryObjectId'),
    timeoutMs: timeoutMs(30_000),
  })
  .transform((o, ctx) => joinSecret(o, 'clientSecret', ctx))
  .superRefine((o, ctx) => {
    if (!o.clientSecret)
      ctx.addIssue({ code: 'custom', message: 'the app needs its secret: give clientSecretFile: PATH or clientSecretEnv: NAME', path: ['clientId'] });
    if (!o.tenant && !o.tokenUrl) ctx.addIssue({ code: 'custom', message: 'give tenant: (the directory id or name) or tokenUrl:', path: ['clientId'] });
    if (o.tenant && o.tokenUrl) ctx.addIssue({ code: 'custom', message: 'give tenant: or tokenUrl:, not both', path: ['tokenUrl'] });
  })
  .transform((o) => ({
    ...o,
    baseUrl: o.baseUrl.replace(/\/+$/, ''),
    tokenUrl: o.tokenUrl ?? `https://login.microsoftonline.com/${encodeURIComponent(o.tenant!)}/oauth2/v2.0/token`,
    scope: o.scope ?? `${new URL(o.baseUrl).origin}/.default`,
  }));
export type GraphSettings = z.output<typeof graphSettings>;
