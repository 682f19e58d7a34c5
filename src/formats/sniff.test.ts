// Cross-sniffing (STYLE habit 6): every fixture goes through every registered format's sniff(). A
// message-tracking fixture must be claimed best by its own format; the samples of every other format
// (and the EWS/ECP logs that share the `#Software: Microsoft Exchange Server` header) must not be
// claimed by a tracking format with confidence 50 or more.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { formatList } from './registry.js';
import type { Sample } from './types.js';
import { sampleLines } from '../ingest/framer.js';
import { MIN_CONFIDENCE } from '../ingest/sniff.js';
import { repoPath } from '../testing/paths.js';

const fixtures = repoPath('fixtures');

/** fixture folder -> the format whose files it holds */
const owners: Record<string, string> = {
  'corpus/exchange_msgtrk_2007plus': 'msgtrk',
  'corpus/exchange_msgtrk_2000_2003': 'msgtrk2003',
  'corpus/exchange55_tracking': 'msgtrk55',
  'tracking/msgtrk': 'msgtrk',
  'tracking/msgtrk-export': 'msgtrk-export',
  'tracking/msgtrk2003': 'msgtrk2003',
  'tracking/msgtrk55': 'msgtrk55',
};
const trackingFormats = new Set(Object.values(owners));

/** real samples that are known not to be ingestible, with why: their own format must still be the
 *  closest match, but below the pipeline's threshold */
const belowThreshold: Record<string, string> = {
  'corpus/exchange55_tracking/itprotoday_1998-05-31_what-a-tracking-log-tells-you__exchange55_entries_excerpt.txt': 'a web page replaced the TABs with spaces',
};

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return files(p);
    return n.endsWith('.expected.json') || n.endsWith('.md') ? [] : [p];
  });
}

async function sniffAll(path: string) {
  const sample: Sample = { name: basename(path), lines: await sampleLines(path) };
  return formatList
    .map((f) => ({ name: f.name, s: f.sniff(sample) }))
    .filter((c) => c.s !== undefined)
    .map((c) => ({ name: c.name, confidence: c.s!.confidence, reason: c.s!.reason }))
    .sort((a, b) => b.confidence - a.confidence);
}

test('every registered tracking format is in this test', () => {
  for (const name of trackingFormats)
    assert.ok(
      formatList.some((f) => f.name === name),
      name,
    );
});

for (const [folder, owner] of Object.entries(owners)) {
  for (const path of files(join(fixtures, folder))) {
    const rel = relative(fixtures, path);
    test(`sniff: ${rel} is ${owner}`, async () => {
      const ranked = await sniffAll(path);
      const best = ranked[0];
      assert.ok(best, `no format claims ${rel}`);
      assert.equal(best.name, owner, `${rel}: ${JSON.stringify(ranked)}`);
      assert.ok(best.reason.length > 10);
      const tie = ranked.filter((r) => r.confidence === best.confidence);
      assert.equal(tie.length, 1, `${rel}: tie ${JSON.stringify(tie)}`);
      if (belowThreshold[rel]) {
        assert.ok(best.confidence < MIN_CONFIDENCE, `${rel}: ${belowThreshold[rel]}`);
        assert.ok(
          ranked.every((r) => r.confidence < 50),
          `${rel}: ${JSON.stringify(ranked)}`,
        );
      } else {
        assert.ok(best.confidence >= MIN_CONFIDENCE, `${rel}: ${JSON.stringify(best)}`);
      }
    });
  }
}

test('sniff: samples of other formats are not claimed by a tracking format', async () => {
  const others = files(join(fixtures, 'corpus')).filter((p) => !Object.keys(owners).some((o) => relative(fixtures, p).startsWith(`${o}/`)));
  assert.ok(
    others.some((p) => p.includes('exchange_other_logs')),
    'the EWS/ECP samples are in fixtures/corpus/exchange_other_logs',
  );
  for (const path of others) {
    const claims = (await sniffAll(path)).filter((r) => trackingFormats.has(r.name) && r.confidence >= 50);
    assert.deepEqual(claims, [], relative(fixtures, path));
  }
});

test('sniff: an EWS log sharing the Exchange header is explained, not claimed', async () => {
  const path = join(fixtures, 'corpus', 'exchange_other_logs', 'awslabs-kinesis-agent-windows__ExchangeLogParserTest_cs__ews.log');
  const msgtrk = (await sniffAll(path)).find((r) => r.name === 'msgtrk');
  assert.equal(msgtrk?.confidence, 0);
  assert.match(msgtrk!.reason, /#Log-type: EWS Logs/);
});
