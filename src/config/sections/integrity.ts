// integrity: tamper-evident storage (store/integrity/seal.ts). Where the anchor file is (the chains'
// heads, kept away from the store), the sealing key by reference (keyFile/keyEnv, never the key), and
// the verify `mxray serve` runs on a schedule with where its alert goes. Read by ingest (the key), by
// `mxray verify` (anchor and key; --anchor and MXRAY_SEAL_KEY/MXRAY_SEAL_KEY_FILE still win) and serve.
import * as z from 'zod';
import { defineSection } from '../section.js';
import { filePath, joinSecret, secretKeys } from '../refs.js';
import { bool, expected, text } from '../fields.js';
import { duration } from '../../capabilities/presence/settings.js';

const alert = z
  .strictObject({
    email: z
      .array(text('an e-mail address').regex(/^[^<>@\s]+@[^<>@\s]+$/, { error: (iss) => expected('an e-mail address like ops@corp.example', iss.input) }))
      .min(1, { error: 'expected a list of at least 1 address' })
      .optional(),
    /** true: notify.webhook; or a URL of its own (with notify.webhook's headers and deadline) */
    webhook: z.union([z.literal(true), z.strictObject({ url: text('an http:// or https:// URL').regex(/^https?:\/\//i) })]).optional(),
  })
  .superRefine((o, ctx) => {
    if (!o.email && !o.webhook) ctx.addIssue({ code: 'custom', message: 'an alert sends e-mail (email: [addresses]) or a webhook (webhook: true), or both' });
  });

export const integritySection = defineSection({
  key: 'integrity',
  schema: z
    .strictObject({
      /** the anchor file: the chains' heads, kept where the store's writers cannot change it */
      anchor: filePath('the path of the anchor file').optional(),
      /** the key of HMAC seals */
      ...secretKeys('key'),
      /** serve's scheduled verify */
      verify: z
        .strictObject({
          interval: duration('an interval', 1000, 7 * 86_400_000).default(3_600_000),
          /** move the anchor to the current heads after each intact verify */
          updateAnchor: bool().default(false),
          alert: alert.optional(),
        })
        .optional(),
    })
    .transform((o, ctx) => joinSecret(o, 'key', ctx))
    .superRefine((o, ctx) => {
      if (o.verify?.updateAnchor && !o.anchor)
        ctx.addIssue({ code: 'custom', message: 'updateAnchor needs the anchor file: give integrity.anchor', path: ['verify', 'updateAnchor'] });
    }),
  doc: `# Tamper-evident storage: every ingested batch is sealed; \`mxray verify\` checks the seals. The anchor
# (the chains' heads) belongs where the store's writers cannot change it; the key (HMAC seals) by
# reference only. --anchor and MXRAY_SEAL_KEY / MXRAY_SEAL_KEY_FILE win over these.
integrity:
  anchor: /mnt/audit/mxray-anchor.json
  keyFile: /etc/mxray/seal.key                    # or keyEnv: NAME
  verify:                                         # mxray serve verifies the store on a schedule
    interval: 1h
    updateAnchor: true                            # after an intact verify, move the anchor to the new heads
    alert:                                        # a store found tampered is alerted once
      email: [security@corp.example]              # through notify.smtp
      webhook: true                               # notify.webhook (or { url: https://… })
`,
});
