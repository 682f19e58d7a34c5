// XML event exports against an independent reader: libevtx's `evtxexport -f xml` (Debian package
// libevtx-utils) prints each record of every corpus .evtx as XML; that output, made into the shapes
// Windows writes (wevtutil's stream of <Event> elements; Event Viewer's <Events> file in UTF-16LE
// with BOM and CRLF), is ingested and compared with the .evtx ingest of the same file: the same row
// values on the same record keys, and ingesting both stores each event once. Then hostile input:
// cut files, garbage between events, a huge attribute, DTD entity tricks, random mutations.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import fc from 'fast-check';
import { ingest } from '../../ingest/ingest.js';
import { sniffFile } from '../../ingest/sniff.js';
import { formatList } from '../registry.js';
import { DuckdbStore } from '../../store/duckdb/store.js';
import type { Store } from '../../store/types.js';
import { repoPath } from '../../testing/paths.js';
import { evtxexportXml, wevtutil } from '../../testing/evtxexport.js';
import { live, table } from '../../sql/dialect.js';
import { raw, sql } from '../../sql/sql.js';
import { windowsEvents } from '../../schema/tables.js';

const corpus = repoPath('fixtures', 'corpus', 'windows_evtx');
const dir = mkdtempSync(join(tmpdir(), 'mxray-evxml-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const folder = () => {
  const d = join(dir, `t${++n}`);
  mkdirSync(d);
  return d;
};
const openStore = () => DuckdbStore.open(join(dir, `db${++n}.duckdb`));

const evtxexport = (file: string) => evtxexportXml(file);
/** Event Viewer's "Save as XML" as PowerShell would write it: an <Events> root, UTF-16LE with BOM, CRLF */
const eventViewer = (xml: string) =>
  Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`<?xml version="1.0" encoding="UTF-16"?>\r\n<Events>${wevtutil(xml)}</Events>\r\n`, 'utf16le')]);

/** where evtxexport's XML is not the record's value: an insertion string of one LF (the .evtx
 *  reader's row shows it as a space, control characters being stored so) printed as an empty
 *  <Data Name="ExtraInfo"/>. Listed so that any other difference fails. */
const libevtxRendering: Record<string, { column: string; xml: unknown; evtx: unknown }> = {
  'DESKTOP-0HIJB49|Application|441': { column: 'data_values', xml: '', evtx: ' ' },
};

const columns = windowsEvents.columns.map((c) => c.name).filter((c) => !['file_id', 'line', 'recovered'].includes(c));
const key = (r: Record<string, unknown>) => `${r.computer}|${r.channel}|${r.event_record_id}`;

async function rows(s: Store): Promise<Map<string, Record<string, unknown>>> {
  const list = await s.query<Record<string, unknown>>(
    'rows',
    sql`SELECT ${raw(columns.join(', '))} FROM ${table('windowsEvents')} WHERE ${live('windowsEvents')}`,
  );
  const m = new Map<string, Record<string, unknown>>();
  for (const r of list) {
    const k = key(r);
    assert.ok(!m.has(k), `record key ${k} twice`);
    m.set(k, Object.fromEntries(Object.entries(r).map(([c, v]) => [c, typeof v === 'bigint' ? Number(v) : v instanceof Date ? v.toISOString() : v])));
  }
  return m;
}

const count = async (s: Store) =>
  Number((await s.query<{ n: number }>('n', sql`SELECT count(*) AS n FROM ${table('windowsEvents')} WHERE ${live('windowsEvents')}`))[0]!.n);

test('every corpus file: evtxexport’s XML (wevtutil and Event Viewer shapes) gives the .evtx ingest’s rows, and no event twice', async () => {
  const files = readdirSync(corpus).filter((f) => f.endsWith('.evtx'));
  assert.equal(files.length, 5);
  const stream = folder();
  const viewer = folder();
  let exported = 0;
  for (const f of files) {
    const xml = evtxexport(join(corpus, f));
    exported += xml.split('<Event xmlns').length - 1;
    writeFileSync(join(stream, f.replace(/\.evtx$/, '.xml')), wevtutil(xml));
    writeFileSync(join(viewer, f.replace(/\.evtx$/, '-viewer.xml')), eventViewer(xml));
  }
  assert.ok(exported > 600, String(exported));

  const evtx = await openStore();
  const xmlStore = await openStore();
  const viewerStore = await openStore();
  try {
    await ingest([corpus], { store: evtx });
    const fromEvtx = await rows(evtx);
    for (const [folderPath, s] of [
      [stream, xmlStore],
      [viewer, viewerStore],
    ] as const) {
      const sum = await ingest([folderPath], { store: s });
      assert.equal(sum.formats['evtx-xml'], files.length, JSON.stringify(sum.formats));
      assert.equal(sum.rejects, 0, JSON.stringify(sum));
      const fromXml = await rows(s);
      // each exported record is one row (records evtxexport prints twice, live and recovered, once)
      assert.ok(fromXml.size > 600 && fromXml.size <= exported, `${fromXml.size} of ${exported}`);
      let same = 0;
      for (const [k, r] of fromXml) {
        const want = fromEvtx.get(k);
        assert.ok(want, `${folderPath}: ${k} is not among the .evtx ingest's records`);
        const known = libevtxRendering[k];
        if (known) {
          assert.deepEqual([r[known.column], want[known.column]], [known.xml, known.evtx], k);
          assert.deepEqual({ ...r, [known.column]: 0 }, { ...want, [known.column]: 0 }, k);
        } else assert.deepEqual(r, want, k);
        same++;
      }
      assert.equal(same, fromXml.size);
    }
    // the XML exports into the store that holds the .evtx files: nothing new, nothing twice
    const before = await count(evtx);
    assert.equal(before, fromEvtx.size);
    await ingest([stream, viewer], { store: evtx });
    assert.equal(await count(evtx), before);
  } finally {
    await evtx.close();
    await xmlStore.close();
    await viewerStore.close();
  }
});

const ev = (id: number, extra = '', data = '<Data Name="a">x</Data>') =>
  `<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='P'/><EventID>7</EventID><TimeCreated SystemTime='2024-03-04T10:00:00.1234567Z'/><EventRecordID>${id}</EventRecordID><Channel>Application</Channel><Computer>EX01</Computer>${extra}</System><EventData>${data}</EventData></Event>`;

async function ingestText(name: string, body: string | Buffer, format?: 'evtx-xml') {
  const d = folder();
  writeFileSync(join(d, name), body);
  const s = await openStore();
  try {
    const sum = await ingest([d], { store: s, ...(format ? { format } : {}) });
    const rej = await s.query<{ line: number; reason: string; detail: string }>('rej', sql`SELECT line, reason, detail FROM ingest_rejects ORDER BY line`);
    const ids = (
      await s.query<{ id: number }>('ids', sql`SELECT event_record_id AS id FROM ${table('windowsEvents')} WHERE ${live('windowsEvents')} ORDER BY id`)
    ).map((r) => Number(r.id));
    return { sum, rej, ids };
  } finally {
    await s.close();
  }
}

test('sniffed by content: wevtutil stream, <Events> root, UTF-16 without BOM; not a text log or an .evtx', async () => {
  const d = folder();
  const cases: [string, string | Buffer, string | undefined][] = [
    ['a.txt', `${ev(1)}\r\n${ev(2)}`, 'evtx-xml'],
    ['b.log', `<?xml version="1.0" encoding="UTF-8"?>\n<!-- saved -->\n<Events>\n${ev(1)}\n</Events>`, 'evtx-xml'],
    ['c.xml', Buffer.from(ev(1), 'utf16le'), 'evtx-xml'],
    ['d.xml', '<?xml version="1.0"?><Report><Event>not one</Event></Report>', undefined],
    ['e.xml', '#Software: Microsoft Internet Information Services 10.0\r\n#Fields: date time cs-method\r\n', 'iis'],
  ];
  for (const [name, body, want] of cases) {
    writeFileSync(join(d, name), body);
    assert.equal((await sniffFile(join(d, name), formatList)).format?.name, want, name);
  }
  assert.equal((await sniffFile(join(corpus, 'sysmon.evtx'), formatList)).format?.name, 'evtx');
});

test('forwarded events: RenderingInfo is left out (said in a note), the row is the plain event’s', async () => {
  const fwd = ev(5).replace(
    '</EventData></Event>',
    '</EventData><RenderingInfo Culture="en-US"><Message>Hello &amp; bye</Message><Level>Information</Level><Task>None</Task></RenderingInfo></Event>',
  );
  const r = await ingestText('ForwardedEvents.xml', `<Events>${fwd}${ev(6)}</Events>`);
  assert.deepEqual(r.ids, [5, 6]);
  assert.equal(r.sum.rejects, 0);
  assert.ok(
    r.sum.details.some((f) => f.notes.some((x) => /1 forwarded event\(s\) carried RenderingInfo/.test(x))),
    JSON.stringify(r.sum.details),
  );
});

test('hostile input: cut, garbage between events, unclosed event, huge attribute, DTD entities: rejects counted with their line, the rest read', async () => {
  // cut inside the third event (a file still being written, or a copy that stopped)
  const cut = `${ev(1)}\n${ev(2)}\n${ev(3).slice(0, 150)}`;
  let r = await ingestText('cut.xml', cut);
  assert.deepEqual(r.ids, [1, 2]);
  assert.deepEqual(
    r.rej.map((x) => [x.line, x.reason, x.detail]),
    [[3, 'truncated', 'the file ends inside the event']],
  );

  // garbage between events, and an event not closed before the next
  r = await ingestText('garbage.xml', `${ev(1)}\nPS C:\\> oops\n${ev(2)}\n${ev(3).slice(0, 100)}\n${ev(4)}\n`);
  assert.deepEqual(r.ids, [1, 2, 4]);
  assert.deepEqual(
    r.rej.map((x) => [x.line, x.detail]),
    [
      [2, 'text outside any <Event> element skipped: "PS C:\\\\> oops"'],
      [4, 'the event is not closed before the next <Event> begins (line 5)'],
    ],
  );

  // an attribute of 9 MB: one reject, memory bounded by the event cap, the next event read
  const huge = ev(2, `<Security UserID='${'A'.repeat(9 << 20)}'/>`);
  r = await ingestText('huge.xml', `${ev(1)}\n${huge}\n${ev(3)}\n`);
  assert.deepEqual(r.ids, [1, 3]);
  assert.deepEqual(
    r.rej.map((x) => [x.line, x.detail]),
    [[2, 'an event larger than 4 MiB, skipped']],
  );

  // a DOCTYPE defining entities (billion laughs) is never expanded: the DTD is text outside any
  // event, and an event using its entity is not well-formed
  const lol = `<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>\n`;
  r = await ingestText('lol.xml', `${lol}${ev(1)}\n${ev(2, '', '<Data Name="a">&lol2;</Data>')}\n${ev(3, '', '<Data>&amp;&#65;</Data>')}`, 'evtx-xml');
  assert.deepEqual(r.ids, [1, 3]);
  assert.equal(r.rej.length, 2);
  assert.deepEqual(
    r.rej.map((x) => x.line),
    [2, 4],
  );
  assert.match(r.rej[0]!.detail, /^text outside any <Event> element skipped: "<!DOCTYPE lolz/);
  assert.match(r.rej[1]!.detail, /^the event cannot be read: undefined entity/i);

  // no EventRecordID: no record key, a reject
  r = await ingestText('nokey.xml', ev(1).replace('<EventRecordID>1</EventRecordID>', ''), 'evtx-xml');
  assert.deepEqual(r.ids, []);
  assert.deepEqual(
    r.rej.map((x) => [x.line, x.detail]),
    [[1, 'the event has no EventRecordID']],
  );
});

// fixtures/windows-xml/broken-pretty.xml, written by hand as Event Viewer indents an export: the line
// numbers below are counted in the file (cat -n), not taken from the reader.
test('a hand-made broken file: rows and rejects carry the line their <Event> starts on; when it grows, the cut event is read and its reject goes', async () => {
  const d = folder();
  const file = join(d, 'broken-pretty.xml');
  copyFileSync(repoPath('fixtures', 'windows-xml', 'broken-pretty.xml'), file);
  const s = await openStore();
  const rowLines = async () =>
    (
      await s.query<{ id: number; line: number }>(
        'rows',
        sql`SELECT event_record_id AS id, line FROM ${table('windowsEvents')} WHERE ${live('windowsEvents')} ORDER BY line`,
      )
    ).map((r) => [Number(r.id), Number(r.line)]);
  const rejects = async () =>
    (await s.query<{ line: number; reason: string; detail: string }>('rej', sql`SELECT line, reason, detail FROM ingest_rejects ORDER BY line`)).map((r) => [
      Number(r.line),
      r.reason,
      r.detail,
    ]);
  try {
    const sum = await ingest([d], { store: s });
    // 101 starts on line 3, 103 on 26; 104, 105 and 106 all on line 37: 104 takes 37, the next two
    // the numbers after it (38, 39), and 107 (line 38) the next free one, 40; their details say the line
    assert.deepEqual(await rowLines(), [
      [101, 3],
      [103, 26],
      [104, 37],
      [106, 39],
    ]);
    const rej = await rejects();
    assert.deepEqual(
      rej.map(([line, reason]) => [line, reason]),
      [
        [14, 'malformed'], // 102: </Dta> on line 23 closes nothing
        [25, 'malformed'], // a pasted prompt between events
        [38, 'malformed'], // 105: an entity XML does not define
        [40, 'malformed'], // 107: no EventRecordID
        [48, 'truncated'], // 108: the file ends inside it
      ],
    );
    assert.match(String(rej[0]![2]), /^the event cannot be read: line 23, column \d+: /);
    assert.equal(rej[1]![2], 'text outside any <Event> element skipped: "PS C:\\\\> wevtutil qe Security /f:xml"');
    assert.match(String(rej[2]![2]), /^line 37: the event cannot be read: undefined entity/i);
    assert.equal(rej[3]![2], 'line 38: the event has no EventRecordID');
    assert.equal(rej[4]![2], 'the file ends inside the event');
    // the summary's first examples name file:line
    assert.deepEqual(
      sum.examples.map((e) => `${basename(e.file)}:${e.line}`),
      ['broken-pretty.xml:14', 'broken-pretty.xml:25', 'broken-pretty.xml:38', 'broken-pretty.xml:40', 'broken-pretty.xml:48'],
    );
    assert.deepEqual([sum.events, sum.rejects], [4, 5]);

    // the rest of 108 is written: read again from its start, its reject replaced by its row
    appendFileSync(
      file,
      '<Channel>Security</Channel>\r\n      <Computer>DC01.corp.example</Computer>\r\n    </System>\r\n    <EventData><Data Name="TargetUserName">carol</Data></EventData>\r\n  </Event>\r\n</Events>\r\n',
    );
    const again = await ingest([d], { store: s });
    assert.deepEqual([again.events, again.rejects], [1, 0]);
    assert.deepEqual((await rowLines()).at(-1), [108, 48]);
    assert.equal((await rowLines()).length, 5);
    assert.deepEqual(
      (await rejects()).map(([line]) => line),
      [14, 25, 38, 40],
    );
  } finally {
    await s.close();
  }
});

test('fuzz: random mutations of an export never crash or hang; each file read (rows or counted rejects)', async () => {
  const base = Buffer.from([ev(1), ev(2, '', '<Data>a&amp;b</Data><Data Name="x"/>'), ev(3)].join('\r\n'));
  const store = await DuckdbStore.open(':memory:');
  const d = folder();
  let k = 0;
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'cut', 'dup')), { minLength: 1, maxLength: 6 }),
        async (muts) => {
          let b = Buffer.from(base);
          for (const [at, byte, kind] of muts) {
            const p = at % Math.max(1, b.length);
            if (kind === 'set') b[p] = byte;
            else if (kind === 'cut') b = Buffer.concat([b.subarray(0, p), b.subarray(Math.min(b.length, p + byte))]);
            else b = Buffer.concat([b.subarray(0, p), b.subarray(p, p + byte), b.subarray(p)]);
          }
          const file = join(d, `f${++k}.xml`);
          writeFileSync(file, b);
          const t0 = performance.now();
          const r = await ingest([file], { store, format: 'evtx-xml' });
          assert.ok(performance.now() - t0 < 10_000, `took too long on ${file}`);
          assert.deepEqual(r.errors, [], file);
          const det = r.details[0];
          if (det?.action === 'ingested' && b.toString('latin1').trim()) assert.ok(r.events + r.rejects >= 1, `${file}: read nothing and said nothing`);
          assert.ok(r.events <= 3 + 6 * muts.length, file);
        },
      ),
      { numRuns: Number(process.env.MXRAY_FUZZ_RUNS ?? 30), ...(process.env.MXRAY_FUZZ_SEED ? { seed: Number(process.env.MXRAY_FUZZ_SEED) } : {}) },
    );
  } finally {
    await store.close();
  }
});
