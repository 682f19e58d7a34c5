// The calendar exports as .msg files (Get-CalendarDiagnosticLog) and as CSV
// (Get-CalendarDiagnosticObjects) carry the same history: the generator writes both from the same
// versions, and every meeting's timeline must come out the same from either, and from both
// together without a version twice. Then bad input, made here: a CSV cut inside a quoted field, a
// CSV in Windows-1252, a .msg that is no compound file, one cut in half, an empty folder, an
// Analysis export without meeting id or mailbox (then given with --mailbox): clear messages, and
// every good file read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCalendar, generatedLogs, type CalendarTruth } from '../../generate/calendar/index.js';
import { ingest } from '../../ingest/ingest.js';
import { DuckdbStore } from '../../store/duckdb/store.js';
import type { Store } from '../../store/types.js';
import { meetingsReport, timelineReport } from '../../capabilities/calendar/timeline.js';
import type { Timeline } from '../../capabilities/calendar/types.js';
import { mxrayInProcess } from '../../testing/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'mxray-calendar-msg-'));
let truth: CalendarTruth;
let n = 0;
const store = () => DuckdbStore.open(join(dir, `s${++n}.duckdb`));

async function everything(s: Store) {
  const meetings = await meetingsReport(s, {});
  const timelines = [];
  for (const m of meetings) timelines.push(await timelineReport(s, m.id, {}));
  return { meetings, timelines };
}

test('calendar .msg and CSV exports of the same history give the same timelines, and together nothing twice', async () => {
  truth = await generateCalendar({ out: dir, seed: 3, as: 'both' });
  const logs = generatedLogs(dir);
  const csv = await store();
  const msg = await store();
  try {
    const a = await ingest([join(logs, 'csv')], { store: csv });
    const b = await ingest([join(logs, 'msg')], { store: msg });
    assert.equal(a.rejects + b.rejects, 0);
    assert.equal(b.events, truth.versions);
    assert.equal(b.formats['calendar-msg'], truth.versions, 'one .msg file per version');
    const fromCsv = await everything(csv);
    assert.deepEqual(fromCsv.meetings, truth.meetings);
    assert.deepEqual(await everything(msg), fromCsv);
    // one mailbox's versions as .msg after its CSV: every one is already stored (one folder only:
    // identifying hundreds of small files against as many stored ones is slow, see the ingest)
    const frank = readdirSync(join(logs, 'msg', 'frank'));
    const both = await ingest([join(logs, 'msg', 'frank')], { store: csv });
    assert.equal(both.files, frank.length);
    assert.ok(frank.length > 0);
    assert.deepEqual(await everything(csv), fromCsv);
  } finally {
    await csv.close();
    await msg.close();
  }
});

test('calendar bad files: clear rejects and errors, every good file read', async () => {
  const bad = join(dir, 'bad');
  const empty = join(dir, 'empty');
  mkdirSync(bad);
  mkdirSync(empty);
  const logs = generatedLogs(dir);
  // a good CSV, cut inside its last quoted field
  const csvName = readdirSync(join(logs, 'csv')).find((f) => f.startsWith('bob_'))!;
  const whole = readFileSync(join(logs, 'csv', csvName));
  const utf16 = whole[0] === 0xff && whole[1] === 0xfe;
  const text = utf16 ? whole.subarray(2).toString('utf16le') : whole.toString('utf8');
  const rows = text.split('\r\n').filter((l) => l.startsWith('"') && !l.startsWith('"LogTimestamp"') && !l.startsWith('#'));
  const cut = text.slice(0, text.lastIndexOf('","') + 5);
  writeFileSync(join(bad, 'bob_CUT00001.csv'), cut);
  // Windows-1252 instead of UTF-8
  writeFileSync(
    join(bad, 'carol_ANSI0001.csv'),
    Buffer.from(
      '"OriginalLastModifiedTime","ItemClass","NormalizedSubject","CleanGlobalObjectId"\r\n"2024-03-04T10:00:00","IPM.Appointment","Caf\xe9 r\xe9union","040000008200E00074C5B7101A82E008000000AA"\r\n',
      'latin1',
    ),
  );
  // a .msg that is no compound file, and a real one cut in half
  writeFileSync(join(bad, 'not-a-message.msg'), 'this is not an Outlook message\r\n');
  const msgDir = join(logs, 'msg', 'carol');
  const [one, two] = readdirSync(msgDir).sort();
  const m = readFileSync(join(msgDir, one!));
  writeFileSync(join(bad, 'cut.msg'), m.subarray(0, m.length >> 1));
  mkdirSync(join(bad, 'carol'));
  copyFileSync(join(msgDir, two!), join(bad, 'carol', two!));

  const s = await store();
  try {
    const r = await ingest([bad, empty], { store: s });
    const examples = Object.fromEntries(r.examples.map((e) => [e.file.replace(/^.*[\\/]/, ''), [e.reason, e.detail]]));
    assert.equal(examples['bob_CUT00001.csv']![0], 'unterminated-quote');
    assert.deepEqual(examples['not-a-message.msg'], [
      'malformed',
      'not an Outlook .msg file: it does not start with the OLE compound-file signature D0 CF 11 E0 A1 B1 1A E1',
    ]);
    assert.equal(examples['cut.msg']![0], 'truncated');
    assert.match(examples['cut.msg']![1]!, /^the compound file cannot be read: cut short or damaged/);
    assert.deepEqual(r.errors, [{ path: empty, message: 'an empty folder: no files to read in it' }]);
    assert.ok(r.details.some((d) => d.notes.some((x) => /Windows-1252/.test(x))));
    // the good rows: the cut CSV's whole rows, the Windows-1252 row, the good .msg
    assert.equal(r.events, rows.length - 1 + 1 + 1);
    const meetings = await meetingsReport(s, {});
    assert.ok(meetings.some((x) => x.subject === 'Café réunion'));
  } finally {
    await s.close();
  }
});

test('calendar Analysis export without meeting id or mailbox: merged by subject and flagged, the mailbox unknown', async () => {
  const d = join(dir, 'analysis');
  mkdirSync(d);
  writeFileSync(
    join(d, 'analysis.csv'),
    [
      'Local Log Time,ItemId,NormalizedSubject,StartTime,EndTime,CalendarLogTriggerAction,ClientInfoString,OriginalLastModifiedTime,ClientIntent,ItemClass,ParentDisplay,Duration,AppointmentRecurring,SentRepresentingEmailAddress,SenderEmailAddress,SentRepresentingDisplayName',
      '2024-03-04 10:00:01,AAMk1,Town hall,2024-03-06 10:00:00,2024-03-06 11:00:00,Create,Client=OWA;Action=ViaProxy,2024-03-04 10:00:00,0,IPM.Appointment,Calendar,60,False,gina@corp.example,gina@corp.example,Gina',
      '2024-03-04 11:00:01,AAMk1,Town hall,2024-03-06 10:30:00,2024-03-06 11:30:00,Update,Client=MSExchangeRPC,2024-03-04 11:00:00,0,IPM.Appointment,Calendar,60,False,gina@corp.example,gina@corp.example,Gina',
    ].join('\r\n') + '\r\n',
  );
  const s = await store();
  try {
    const r = await ingest([d], { store: s });
    assert.equal(r.rejects, 0);
    assert.deepEqual(r.formats, { 'calendar-csv': 1 });
    const [m] = await meetingsReport(s, {});
    assert.equal(m!.id, 'subject:town hall');
    const t = await timelineReport(s, m!.id, {});
    assert.deepEqual(
      t.events.map((e) => e.sentence),
      [
        'the mailbox owner (in an unknown mailbox) created the appointment from OWA (Outlook on the web)',
        'the mailbox owner (in an unknown mailbox) updated the appointment from Outlook desktop (MAPI)',
      ],
    );
    assert.deepEqual(t.events[1]!.changes, [
      { field: 'start', from: '2024-03-06 10:00:00', to: '2024-03-06 10:30:00' },
      { field: 'end', from: '2024-03-06 11:00:00', to: '2024-03-06 11:30:00' },
    ]);
    assert.ok(t.warnings[0]!.startsWith('merged by subject only'));
    assert.ok(t.warnings[1]!.startsWith('2 version(s) come from exports whose mailbox is unknown'));
  } finally {
    await s.close();
  }
  // the same export with `mxray ingest --mailbox`: the mailbox is the one given, and said so
  const db = join(dir, 'analysis-mailbox.duckdb');
  const r = await mxrayInProcess(['ingest', d, '--mailbox', 'Gina@corp.example', '--db', db, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const t = await mxrayInProcess(['calendar', 'timeline', '--subject', 'town hall', '--db', db, '--json']);
  const tl = JSON.parse(t.stdout) as Timeline;
  assert.deepEqual(tl.mailboxes, [{ mailbox: 'gina@corp.example', from: 'option', versions: 2 }]);
  assert.equal(tl.events[0]!.sentence, 'gina@corp.example (own mailbox) created the appointment from OWA (Outlook on the web)');
});
