// Whole-file loads (schema/bulk.ts, store/duckdb/bulk.ts) must give exactly the rows, file records
// and rejects the parser path gives, for every file: the plain ones the store loads itself, and
// every kind of file it must refuse (each variant below is one thing the whole-file path cannot
// express). A crash between rounds and a SIGKILL during a load resume without losing or doubling.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { generateTracking } from '../generate/tracking/index.js';
import { DuckdbStore } from '../store/duckdb/store.js';
import type { BulkOutcome, Store } from '../store/types.js';
import { ingest } from './ingest.js';
import { prescan } from './bulk.js';
import { mxray } from '../testing/cli.js';
import { mxrayInProcess } from '../testing/run-cli.js';
import { repoPath } from '../testing/paths.js';
import * as tracking from '../capabilities/tracking/queries.js';

const dir = mkdtempSync(join(tmpdir(), 'mxray-bulk-'));

function allFiles(d: string): string[] {
  return readdirSync(d, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? allFiles(join(d, e.name)) : /\.log$/i.test(e.name) ? [join(d, e.name)] : []))
    .sort();
}

/** everything an ingest leaves in the store, keyed by file path (ids are compared through it) */
async function dump(s: DuckdbStore): Promise<unknown> {
  const events = await s.rows(
    `SELECT f.path, t.* EXCLUDE (file_id), CAST(t.ts AS VARCHAR) AS ts FROM tracking_events t JOIN ingested_files f ON f.id = t.file_id ORDER BY f.path, t.line`,
  );
  const files = await s.rows(
    `SELECT id, path, size, format, resume_offset, next_line, seekable, state, provisional_from, complete, lines, rejects FROM ingested_files ORDER BY path`,
  );
  const rejects = await s.rows(
    `SELECT f.path, r.line, r.reason, r.detail FROM ingest_rejects r JOIN ingested_files f ON f.id = r.file_id ORDER BY f.path, r.line`,
  );
  return { events, files, rejects };
}

/** ingest the paths both ways; returns both dumps and what the whole-file path did */
async function bothWays(name: string, paths: string[]): Promise<{ whole: unknown; parsed: unknown; outcomes: BulkOutcome[]; summaries: [unknown, unknown] }> {
  const outcomes: BulkOutcome[] = [];
  const run = async (whole: boolean) => {
    const s = await DuckdbStore.open(join(dir, `${name}-${whole ? 'whole' : 'parsed'}.duckdb`));
    try {
      const spy = Object.create(s) as Store;
      spy.bulkLoad = async (spec, files) => {
        const r = await s.bulkLoad(spec, files);
        outcomes.push(...r);
        return r;
      };
      const summary = await ingest(paths, { store: spy, wholeFiles: whole });
      // the same summary either way, but for the time taken and which files the store read whole
      const { seconds: _s, wholeFiles: _w, details, ...rest } = summary;
      return { dump: await dump(s), summary: { ...rest, details: details.map(({ whole: _x, ...d }) => d) }, wholeFiles: summary.wholeFiles };
    } finally {
      await s.close();
    }
  };
  const w = await run(true);
  const p = await run(false);
  assert.equal(p.wholeFiles, 0);
  assert.equal(w.wholeFiles, outcomes.filter((o) => o.loaded).length, 'the summary counts the files read whole');
  return { whole: w.dump, parsed: p.dump, outcomes, summaries: [w.summary, p.summary] };
}

let generated = '';
let sample = ''; // one generated 2013+ file (CRLF lines, as Exchange writes them)

before(async () => {
  generated = join(dir, 'gen');
  await generateTracking({ users: 25, days: 2, servers: 2, version: '2013', out: join(generated, '2013'), seed: 11 });
  await generateTracking({ users: 15, days: 1, servers: 2, version: '2010', out: join(generated, '2010'), seed: 12 });
  await generateTracking({ users: 15, days: 1, servers: 1, version: '2007', out: join(generated, '2007'), seed: 13 });
  sample = allFiles(join(generated, '2013'))
    .map((p) => ({ p, n: readFileSync(p).length }))
    .sort((a, b) => b.n - a.n)[0]!.p;
});

test('generated logs of 2007, 2010 and 2013+ load whole, with the rows, records and summary of the parser path', async () => {
  const r = await bothWays('generated', [generated]);
  assert.ok(
    r.outcomes.length > 5 && r.outcomes.every((o) => o.loaded),
    `every generated file loads whole: ${JSON.stringify(r.outcomes.filter((o) => !o.loaded))}`,
  );
  assert.deepEqual(r.whole, r.parsed);
  assert.deepEqual(r.summaries[0], r.summaries[1]);
});

test('every 2007+ corpus sample gives the same rows both ways', async () => {
  const paths = [...allFiles(repoPath('fixtures', 'corpus', 'exchange_msgtrk_2007plus')), ...allFiles(repoPath('fixtures', 'tracking', 'msgtrk'))];
  const r = await bothWays('corpus', paths);
  assert.deepEqual(r.whole, r.parsed);
  assert.deepEqual(r.summaries[0], r.summaries[1]);
  assert.ok(
    r.outcomes.some((o) => o.loaded),
    'some real samples are plain enough to load whole',
  );
});

test('files the whole-file path must refuse are read by the parser, with identical results', async () => {
  const text = readFileSync(sample, 'utf8').replace(/^\uFEFF/, '');
  const lines = text.split('\r\n');
  lines.pop(); // the empty string after the last CRLF
  const first = lines.findIndex((l) => !l.startsWith('#'));
  const cols = (l: string) => l.split(','); // generated lines quote nothing in these fields
  const edit = (k: number, f: (c: string[]) => void) => {
    const c = cols(lines[first + k]!);
    f(c);
    return c.join(',');
  };
  const variants: Record<string, string | Buffer> = {
    plain: lines.join('\r\n') + '\r\n',
    'lf-only': lines.join('\n') + '\n',
    'blank-line': [...lines.slice(0, first + 3), '', ...lines.slice(first + 3)].join('\r\n') + '\r\n',
    'quoted-line-break':
      [
        ...lines.slice(0, first + 2),
        edit(2, (c) => {
          c[18] = '"two\nlines"';
        }),
        ...lines.slice(first + 3),
      ].join('\n') + '\n',
    'tab-in-subject':
      [
        ...lines.slice(0, first + 2),
        edit(2, (c) => {
          c[18] = 'a\tb';
        }),
        ...lines.slice(first + 3),
      ].join('\r\n') + '\r\n',
    'lone-cr':
      [
        ...lines.slice(0, first + 2),
        edit(2, (c) => {
          c[18] = 'a\rb';
        }),
        ...lines.slice(first + 3),
      ].join('\r\n') + '\r\n',
    'header-again': [...lines.slice(0, first + 4), ...lines.slice(0, first), ...lines.slice(first + 4)].join('\r\n') + '\r\n',
    'time-without-ms':
      [
        ...lines.slice(0, first + 1),
        edit(1, (c) => {
          c[0] = c[0]!.replace(/\.\d+Z$/, 'Z');
        }),
        ...lines.slice(first + 2),
      ].join('\r\n') + '\r\n',
    'time-with-offset':
      [
        ...lines.slice(0, first + 1),
        edit(1, (c) => {
          c[0] = c[0]!.replace(/Z$/, '+02:00');
        }),
        ...lines.slice(first + 2),
      ].join('\r\n') + '\r\n',
    'hour-24':
      [
        ...lines.slice(0, first + 1),
        edit(1, (c) => {
          c[0] = c[0]!.replace(/T\d\d:\d\d:\d\d\.\d+Z$/, 'T24:00:00.000Z');
        }),
        ...lines.slice(first + 2),
      ].join('\r\n') + '\r\n',
    '30-february':
      [
        ...lines.slice(0, first + 1),
        edit(1, (c) => {
          c[0] = c[0]!.replace(/^\d{4}-\d\d-\d\d/, '2024-02-30');
        }),
        ...lines.slice(first + 2),
      ].join('\r\n') + '\r\n',
    'bytes-not-digits':
      [
        ...lines.slice(0, first + 1),
        edit(1, (c) => {
          c[14] = ' 12';
        }),
        ...lines.slice(first + 2),
      ].join('\r\n') + '\r\n',
    'bytes-negative':
      [
        ...lines.slice(0, first + 1),
        edit(1, (c) => {
          c[14] = '-12';
        }),
        ...lines.slice(first + 2),
      ].join('\r\n') + '\r\n',
    'field-missing': [...lines.slice(0, first + 1), lines[first + 1]!.replace(/,[^,]*$/, ''), ...lines.slice(first + 2)].join('\r\n') + '\r\n',
    'unterminated-quote':
      [
        ...lines.slice(0, first + 1),
        edit(1, (c) => {
          c[18] = '"open';
        }),
        ...lines.slice(first + 2),
      ].join('\r\n') + '\r\n',
    'last-line-unterminated': lines.join('\r\n'),
    'windows-1252-line': Buffer.concat([
      Buffer.from(lines.slice(0, first + 2).join('\r\n') + '\r\n'),
      Buffer.from(
        edit(2, (c) => {
          c[18] = 'R\u00e9union';
        }) + '\r\n',
        'latin1',
      ),
      Buffer.from(lines.slice(first + 3).join('\r\n') + '\r\n'),
    ]),
    gzip: gzipSync(Buffer.from(lines.join('\r\n') + '\r\n')),
    // plain, and loaded whole: the values the description must copy exactly
    'quotes-case-empty':
      [
        ...lines.slice(0, first + 1),
        edit(1, (c) => {
          c[18] = '"Re: ""budget"", Q3"';
          c[19] = 'Mixed.Case@Contoso.COM';
          c[12] = 'A@X.COM;b@Y.com';
          c[10] = '';
          c[14] = '007';
          c[15] = '';
          c[4] = '""';
        }),
        edit(2, (c) => {
          c[18] = 'Zürich Übersicht';
          c[10] = '""';
        }),
        ...lines.slice(first + 3),
      ].join('\r\n') + '\r\n',
  };
  const vdir = join(dir, 'variants');
  mkdirSync(vdir, { recursive: true });
  const paths: string[] = [];
  for (let [name, body] of Object.entries(variants)) {
    const p = join(vdir, `MSGTRK-${name}.LOG${name === 'gzip' ? '.gz' : ''}`);
    // a header line of its own, so that no two variants share their first 4 KiB (the file identity)
    if (typeof body === 'string') body = body.replace(/^#Date: [^\r\n]*/m, `#Date: ${name}`);
    writeFileSync(p, typeof body === 'string' ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(body)]) : body);
    paths.push(p);
  }
  const r = await bothWays('variants', paths);
  assert.deepEqual(r.whole, r.parsed);
  assert.deepEqual(r.summaries[0], r.summaries[1]);
  // the store was asked for these and loaded exactly the plain ones
  const files = (r.whole as { files: { id: number; path: string }[] }).files;
  const loaded = new Set(r.outcomes.filter((o) => o.loaded).map((o) => basename(files.find((f) => f.id === o.fileId)!.path)));
  assert.deepEqual([...loaded].sort(), ['MSGTRK-lf-only.LOG', 'MSGTRK-plain.LOG', 'MSGTRK-quotes-case-empty.LOG'], JSON.stringify(r.outcomes));
  const refusedByStore = r.outcomes.filter((o) => !o.loaded).map((o) => o.why ?? '');
  assert.ok(
    refusedByStore.some((w) => /ISO UTC time/.test(w)),
    `a bad time is refused by the statement: ${refusedByStore.join(' | ')}`,
  );
  assert.ok(
    refusedByStore.some((w) => /rows from/.test(w)),
    'a quoted line break is caught by the row count',
  );
});

test('prescan counts lines and names what it refuses', async () => {
  const p = join(dir, 'scan.log');
  const cases: [string, string][] = [
    ['a\r\nb\r\n', 'plain 2'],
    ['a\nb\n', 'plain 2'],
    ['a\n\nb\n', 'a blank line'],
    ['a\r\n\r\nb\r\n', 'a blank line'],
    ['a\rb\n', 'a CR that does not end a line'],
    ['a\tb\n', 'a TAB inside a line'],
    ['a\u0000b\n', 'NUL bytes'],
    ['a\nb', 'the last line has no line end yet'],
  ];
  for (const [body, want] of cases) {
    writeFileSync(p, body);
    const s = await prescan(p, Buffer.byteLength(body));
    assert.equal(s.plain ? `plain ${s.lines}` : s.why, want, JSON.stringify(body));
  }
  // reads of a few bytes: lines across reads, a line longer than a read
  writeFileSync(p, 'abc\r\ndef\r\n');
  assert.deepEqual(await prescan(p, 10, 6), { plain: true, lines: 2 });
  writeFileSync(p, 'abc\rxdef\r\n');
  assert.deepEqual(await prescan(p, 10, 12), { plain: false, why: 'a CR that does not end a line' });
  writeFileSync(p, 'abcdefgh\n');
  assert.deepEqual(await prescan(p, 9, 6), { plain: false, why: 'an over-long line' });
  writeFileSync(p, Buffer.from('ab\xe9\n', 'latin1'));
  assert.deepEqual(await prescan(p, 4), { plain: false, why: 'bytes that are not UTF-8' });
});

test('a store failure between whole-file rounds loses and doubles nothing on the re-run', async () => {
  const logs = join(generated, '2013');
  const expectedDb = await DuckdbStore.open(join(dir, 'crash-expected.duckdb'));
  await ingest([logs], { store: expectedDb, wholeFiles: false });
  const expected = await dump(expectedDb);
  await expectedDb.close();

  const s = await DuckdbStore.open(join(dir, 'crash.duckdb'));
  try {
    let calls = 0;
    const failing = Object.create(s) as Store;
    failing.bulkLoad = async (spec, files) => {
      if (++calls === 3) throw new Error('simulated crash');
      return s.bulkLoad(spec, files);
    };
    await assert.rejects(ingest([logs], { store: failing, bulkRoundBytes: 40_000 }), /simulated crash/);
    const partial = await tracking.eventCount(s, {});
    assert.ok(partial > 0, 'the first rounds were committed');
    const again = await ingest([logs], { store: s, bulkRoundBytes: 40_000 });
    assert.ok(
      again.details.some((d) => d.action === 'resumed'),
      'files recorded but not loaded are continued',
    );
    assert.deepEqual(await dump(s), expected);
  } finally {
    await s.close();
  }
});

test('an ingest killed with SIGKILL during whole-file loads resumes without losing or doubling rows', async () => {
  const logs = join(generated, '2013');
  const expected = join(dir, 'kill-expected.duckdb');
  assert.equal((await mxrayInProcess(['ingest', logs, '--db', expected])).code, 0);
  const db = join(dir, 'killed.duckdb');
  let rounds = 0;
  const killed = await mxray(['ingest', logs, '--db', db], {
    env: { MXRAY_BULK_ROUND_BYTES: '40000', MXRAY_TRACE_BATCHES: '1' },
    onStderr: (chunk, kill) => {
      rounds += chunk.split('whole-file load committed').length - 1;
      if (rounds >= 2) kill();
    },
  });
  assert.notEqual(killed.code, 0, 'the first run was killed');
  // the kill needs a process of its own; the reference and the resume do not
  const resumed = await mxrayInProcess(['ingest', logs, '--db', db, '--json']);
  assert.equal(resumed.code, 0, resumed.stderr);
  const a = await DuckdbStore.open(expected, { readOnly: true });
  const b = await DuckdbStore.open(db, { readOnly: true });
  try {
    assert.deepEqual(await tracking.userTotals(b, {}, 'once'), await tracking.userTotals(a, {}, 'once'));
    assert.equal(await tracking.eventCount(b, {}), await tracking.eventCount(a, {}));
  } finally {
    await a.close();
    await b.close();
  }
});

test('a copy of a whole-loaded file is recognised and adds nothing', async () => {
  const s = await DuckdbStore.open(join(dir, 'copy.duckdb'));
  try {
    const first = await ingest([sample], { store: s });
    assert.ok(first.events > 0);
    const copy = join(dir, 'copy.LOG');
    copyFileSync(sample, copy);
    const again = await ingest([sample, copy], { store: s });
    assert.equal(again.events, 0);
    assert.equal(again.skippedFiles, 2);
  } finally {
    await s.close();
  }
});
