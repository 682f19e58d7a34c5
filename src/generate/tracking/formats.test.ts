// The generated logs against the project's own tracking formats: every file is sniffed as the right
// format, parses without a reject, and the rows' counting roles give back truth.json exactly.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatList, formats, type FormatName } from '../../formats/registry.js';
import { Role } from '../../schema/tables.js';
import { parseWith } from '../../testing/formats.js';
import { generateTracking, trackingVersions, type TrackingVersion } from './index.js';
import { logFiles, readLines } from './logs.fixture.js';

const root = mkdtempSync(join(tmpdir(), 'mxray-trackfmt-'));
after(() => rmSync(root, { recursive: true, force: true }));

const formatOf: Record<TrackingVersion, FormatName> = { '2013': 'msgtrk', '2010': 'msgtrk', '2007': 'msgtrk', '2003': 'msgtrk2003', '55': 'msgtrk55' };

for (const version of trackingVersions) {
  test(`${version}: sniffed as ${formatOf[version]}, parsed without rejects, roles reproduce the truth`, async () => {
    const out = join(root, version);
    const truth = await generateTracking({ users: 16, days: 2, servers: 2, version, out, seed: 21, start: '2024-03-06' });
    const users: Record<string, { sent: number; received: number; sentBytes: number; receivedBytes: number }> = {};
    const user = (k: string) => (users[k.toLowerCase()] ??= { sent: 0, received: 0, sentBytes: 0, receivedBytes: 0 });
    const submitted = new Set<string>();
    const delivered = new Set<string>();
    for (const file of logFiles(out)) {
      const lines = readLines(join(out, file)).lines.slice(0, 40);
      const best = formatList
        .map((f) => ({ f, s: f.sniff({ name: file.split('/').pop()!, lines }) }))
        .filter((x) => x.s)
        .sort((a, b) => b.s!.confidence - a.s!.confidence)[0];
      assert.equal(best?.f, formats[formatOf[version]], `${file} is sniffed as ${best?.f.name}`);
      const parsed = await parseWith(formats[formatOf[version]], join(out, file));
      assert.deepEqual(parsed.rejects, [], file);
      for (const r of parsed.rows) {
        const role = Number(r['role']);
        if (role & Role.Submit && !submitted.has(r['message_id']!)) {
          submitted.add(r['message_id']!);
          const u = user(r['sender']!);
          u.sent++;
          u.sentBytes += Number(r['bytes']);
        }
        if (role & Role.Deliver) {
          for (const a of r['recipients']!.split(';')) {
            const key = `${r['message_id']} ${a.toLowerCase()}`;
            if (delivered.has(key)) continue;
            delivered.add(key);
            const u = user(a);
            u.received++;
            u.receivedBytes += Number(r['bytes']);
          }
        }
      }
    }
    assert.deepEqual(users, truth.users);
  });
}
