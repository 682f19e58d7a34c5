// notify: how alerts leave mxray, for monitoring and rules: an SMTP server and a webhook, with the
// defaults (sender, headers, deadlines) that each alert may override.
import * as z from 'zod';
import { defineSection } from '../section.js';
import { filePath, joinSecret, secretKeys } from '../refs.js';
import { bool, expected, got, hostName, port, text, timeoutMs, urlOf } from '../fields.js';

const smtpPorts = { tls: 465, starttls: 587, none: 25 } as const;

/** a sender: addr@domain or Name <addr@domain> */
function mailbox() {
  return text('a sender address like mxray@corp.example or "mxray <mxray@corp.example>"').refine(
    (v) => /^([^<>]*<[^<>@\s]+@[^<>@\s]+>|[^<>@\s]+@[^<>@\s]+)$/.test(v.trim()),
    { error: (iss) => `expected a sender address like mxray@corp.example or "mxray <mxray@corp.example>", got ${got(iss.input)}` },
  );
}

const smtp = z
  .strictObject({
    host: hostName(),
    port: port().optional(),
    security: z
      .enum(['starttls', 'tls', 'none'], { error: (iss) => `expected starttls, tls (TLS from the start) or none, got ${got(iss.input)}` })
      .default('starttls'),
    user: text('the account to log in as').optional(),
    ...secretKeys('password'),
    from: mailbox(),
    tls: z
      .strictObject({
        caFile: filePath('the path of a CA certificate file (PEM)').optional(),
        verify: bool().default(true),
        serverName: hostName().optional(),
      })
      .prefault({}),
    timeoutMs: timeoutMs(30_000),
  })
  .transform((o, ctx) => {
    const { host, port, ...rest } = joinSecret(o, 'password', ctx);
    // the port follows the security unless given: 465 for tls, 587 for starttls, 25 for none
    return { host, port: port ?? smtpPorts[rest.security], ...rest };
  })
  .superRefine((o, ctx) => {
    if (o.user !== undefined && !o.password)
      ctx.addIssue({ code: 'custom', message: 'a user needs its password: give passwordFile: PATH or passwordEnv: NAME', path: ['user'] });
    if (o.user === undefined && o.password) ctx.addIssue({ code: 'custom', message: 'a password without user: say whom to log in as', path: [o.password.key] });
    if (o.password && o.security === 'none')
      ctx.addIssue({ code: 'custom', message: 'a password over a connection without TLS: use security: starttls or tls', path: ['security'] });
  });

/** header names whose values are credentials: a literal value of one is refused like a password */
export const secretHeader = /^(authorization|proxy-authorization|cookie)$|token|secret|passw(or)?d|api-?key|(^|-)auth(-|$)/i;

// A header value is text, or a reference for a secret one. Written as one mapping schema (text becomes
// { literal }) rather than a union: zod reports a failed union with one vague message, while this
// keeps "valueFil: unknown key; did you mean valueFile?" and "environment variable X is not set".
const headerValue = z.preprocess(
  (v) => (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? { literal: String(v) } : v),
  z
    .strictObject(
      { literal: z.string().optional(), ...secretKeys('value') },
      { error: (iss) => expected('a header value, or { valueFile: PATH } / { valueEnv: NAME } for a secret one', iss.input) },
    )
    .transform((o, ctx) => joinSecret(o, 'value', ctx))
    .transform((o, ctx) => {
      const v = o.literal ?? o.value;
      if (v === undefined) ctx.issues.push({ code: 'custom', message: 'give valueFile: PATH or valueEnv: NAME', input: o });
      return v ?? z.NEVER;
    }),
);

const webhook = z.strictObject({
  url: urlOf(['http', 'https'], 'an http:// or https:// URL'),
  headers: z
    .record(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, { error: (iss) => `expected an HTTP header name, got ${got(iss.input)}` }), headerValue)
    .superRefine((h, ctx) => {
      for (const [name, v] of Object.entries(h)) {
        if (typeof v === 'string' && secretHeader.test(name)) {
          ctx.addIssue({
            code: 'custom',
            message: `the ${name} header carries a secret: give { valueFile: PATH } or { valueEnv: NAME } (the file or variable holds the whole value)`,
            path: [name],
          });
        }
      }
    })
    .default({}),
  timeoutMs: timeoutMs(10_000),
});

export const notifySection = defineSection({
  key: 'notify',
  schema: z.strictObject({
    smtp: smtp.optional(),
    webhook: webhook.optional(),
  }),
  doc: `# How alerts leave mxray, for monitoring and rules: an SMTP server and a webhook. Each alert may
# override these defaults.
notify:
  smtp:
    host: smtp.corp.example
    port: 587                                     # default: 587 with starttls, 465 with tls, 25 with none
    security: starttls                            # starttls, tls (TLS from the start) or none
    user: svc-mxray@corp.example                  # leave out user and password to send without logging in
    passwordEnv: MXRAY_SMTP_PASSWORD              # or passwordFile: PATH
    from: mxray <mxray@corp.example>
    timeoutMs: 30000
  webhook:
    url: https://chat.corp.example/hooks/mail-alerts
    headers:
      X-Source: mxray
      Authorization: { valueFile: /etc/mxray/webhook.auth }   # holds e.g. "Bearer abc…"; secrets by reference
    timeoutMs: 10000
`,
});
