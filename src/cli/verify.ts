// `mxray verify`: is the store as it was sealed? Exit 0 intact, 4 tampering found (naming the first
// modified, deleted or inserted row with its source file and line, and its batch), 1 when it cannot
// tell (the store cannot be read, a keyed store without its key), 2 bad usage.
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { readAnchor, sealKey, writeAnchor, type Anchor, type VerifyResult } from '../store/integrity/seal.js';
import { storeOptions, UsageError, withStore, write, type StoreOpts } from './common.js';
import { loadConfig } from '../config/config.js';
import type { Store } from '../store/types.js';

/** the exit code of a verify that found tampering */
export const EXIT_TAMPERED = 4;

export function describeVerify(r: VerifyResult): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const chains = `${r.heads.length} chain${r.heads.length === 1 ? '' : 's'}`;
  const heads = (k: number) => `${k} head${k === 1 ? '' : 's'}`;
  const anchor = r.anchor
    ? r.anchor.written
      ? `; anchor ${r.anchor.path} written (${heads(r.anchor.heads)})`
      : `; anchor ${r.anchor.path} matches (${heads(r.anchor.heads)})`
    : '; no anchor given';
  if (r.intact) {
    return `intact: ${n(r.rows)} rows in ${n(r.batches)} sealed batches on ${chains} (${r.mode}), ${n(r.retractions)} sealed retractions${anchor}; ${r.seconds.toFixed(1)} s\n`;
  }
  const kinds = Object.entries(r.counts)
    .filter(([, c]) => c > 0)
    .map(([k, c]) => `${n(c)} ${k}`)
    .join(', ');
  const checked = r.anchor ? `; anchor ${r.anchor.path} (${heads(r.anchor.heads)})` : '; no anchor given';
  const lines = [`TAMPERED: ${kinds} (${n(r.rows)} rows, ${n(r.batches)} sealed batches on ${chains}${checked})`];
  for (const f of r.findings) lines.push(`  ${f.detail}`);
  return lines.join('\n') + '\n';
}

export function registerVerify(p: Command): void {
  storeOptions(
    p
      .command('verify')
      .description(
        'check that the stored records are as they were sealed at ingest: exit 0 intact, 4 tampering found (the first modified, deleted or inserted row with its file and line), 1 cannot verify, 2 bad usage',
      )
      .option('--anchor <file>', 'check the chains against the heads kept in this file (written by --update-anchor; keep it away from the store)')
      .option('--update-anchor', 'when the store is intact, write its current heads to the --anchor file (after each ingest)')
      .option('--json', 'print the result as JSON'),
  ).action(async (o: StoreOpts & { anchor?: string; updateAnchor?: boolean; json?: boolean }) => {
    // the integrity section of the config gives the anchor and the key; --anchor and the environment win
    const section = (await loadConfig(o.config)).section('integrity');
    const anchorPath = o.anchor ?? section?.anchor;
    if (o.updateAnchor && !anchorPath) throw new UsageError('--update-anchor: name the anchor file with --anchor FILE (or integrity.anchor in the config)');
    const r = await withStore(o, (s) =>
      verifyStore(s, {
        anchorPath,
        updateAnchor: o.updateAnchor ?? false,
        key: sealKey() ?? (section?.key ? Buffer.from(section.key.reveal(), 'utf8') : undefined),
      }),
    );
    write(o.json ? JSON.stringify(r, null, 2) + '\n' : describeVerify(r));
    if (!r.intact) process.exitCode = EXIT_TAMPERED;
  });
}

/** verify a store against the anchor file (when given) and, when intact and asked to, move the anchor
 *  to its current heads: `mxray verify` and serve's scheduled verify */
export async function verifyStore(s: Store, o: { anchorPath?: string | undefined; updateAnchor: boolean; key: Buffer | undefined }): Promise<VerifyResult> {
  // a new anchor file is created by updateAnchor; without it the file must exist
  const anchor: Anchor | undefined = o.anchorPath && (existsSync(o.anchorPath) || !o.updateAnchor) ? readAnchor(o.anchorPath) : undefined;
  if (!s.verify) throw new Error(`verifying is not supported on this store yet (${s.location}): DuckDB and ClickHouse`);
  const r = await s.verify({ ...(o.key ? { key: o.key } : {}), ...(anchor ? { anchor } : {}), ...(o.anchorPath ? { anchorPath: o.anchorPath } : {}) });
  if (r.intact && o.updateAnchor && o.anchorPath) {
    writeAnchor(o.anchorPath, {
      mxrayAnchor: 1,
      store: r.store,
      mode: r.mode === 'none' ? (o.key ? 'hmac-sha256' : 'sha256') : r.mode,
      written: new Date().toISOString(),
      heads: r.heads,
    });
    r.anchor = { path: o.anchorPath, heads: r.heads.length, written: true };
  }
  return r;
}
