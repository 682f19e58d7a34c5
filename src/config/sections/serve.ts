// serve: `mxray serve`, the one long-running process (dashboard, HTTP API, presence polling, the
// monitor's schedule, rules on new events): where it listens, who may talk to it, its certificate.
import * as z from 'zod';
import { isIP } from 'node:net';
import { defineSection } from '../section.js';
import { filePath, joinSecret, secretKeys } from '../refs.js';
import { hostName, port, text } from '../fields.js';

export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return /^::ffff:127\./.test(h);
}

const auth = z
  .strictObject({
    ...secretKeys('token'),
    user: text('a user name').optional(),
    ...secretKeys('password'),
  })
  .transform((o, ctx) => joinSecret(joinSecret(o, 'token', ctx), 'password', ctx))
  .superRefine((o, ctx) => {
    const basic = o.user !== undefined || o.password !== undefined;
    if (o.token && basic)
      ctx.addIssue({ code: 'custom', message: 'give a token (tokenFile/tokenEnv) or a user with a password, not both', path: [o.token.key] });
    else if (!o.token && !basic)
      ctx.addIssue({ code: 'custom', message: 'give tokenFile: PATH (or tokenEnv: NAME), or user: with passwordFile: PATH (or passwordEnv: NAME)' });
    else if (o.user !== undefined && !o.password)
      ctx.addIssue({ code: 'custom', message: 'a user needs its password: give passwordFile: PATH or passwordEnv: NAME', path: ['user'] });
    else if (o.user === undefined && o.password) ctx.addIssue({ code: 'custom', message: 'a password without user: say who logs in', path: [o.password.key] });
  });

export const serveSection = defineSection({
  key: 'serve',
  schema: z
    .strictObject({
      listen: z
        .strictObject({
          host: hostName().default('127.0.0.1'),
          port: port().default(8080),
        })
        .prefault({}),
      auth: auth.optional(),
      tls: z
        .strictObject({
          certFile: filePath('the path of the certificate file (PEM, with its chain)'),
          keyFile: filePath('the path of the private key file (PEM)'),
        })
        .optional(),
    })
    .superRefine((o, ctx) => {
      // the API serves mail metadata: beyond this machine only with a login
      if (!isLoopback(o.listen.host) && !o.auth)
        ctx.addIssue({
          code: 'custom',
          message: `listening on ${o.listen.host} (beyond this machine) needs auth: give auth.tokenFile or auth.user with auth.passwordFile, or listen on 127.0.0.1`,
          path: ['listen', 'host'],
        });
    }),
  doc: `# mxray serve: the one long-running process (dashboard, HTTP API, presence polling, the monitor's
# schedule, rules on new events): where it listens, who may talk to it, its certificate.
serve:
  listen:
    host: 127.0.0.1                               # loopback by default; another address needs auth
    port: 8080
  auth:
    tokenFile: /etc/mxray/api.token               # clients send Authorization: Bearer <token>
    # or basic authentication:
    # user: admin
    # passwordFile: /etc/mxray/api.password
  # tls:                                          # HTTPS instead of HTTP
  #   certFile: /etc/mxray/tls/cert.pem
  #   keyFile: /etc/mxray/tls/key.pem
`,
});
