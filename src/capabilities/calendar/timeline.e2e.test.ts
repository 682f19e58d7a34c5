// End to end on DuckDB: `mxray generate calendar` writes the exports of the 31 logged actions of seed
// 001 and the warnings' stories with truth.json beside; `mxray ingest` reads them; `calendar
// meetings` and `calendar timeline --json` must say, for every meeting, exactly what the truth says:
// each logged change's sentence, actor, role, client and what changed, in order across every
// mailbox, and the warnings. The truth is the generator's bookkeeping (who it made act, as whom,
// from which client), not this capability's output. Then: ingesting again adds nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCalendar, generatedLogs, type CalendarTruth } from '../../generate/calendar/index.js';
import { mxrayInProcess } from '../../testing/run-cli.js';
import type { MeetingRow, Timeline } from './types.js';

const dir = mkdtempSync(join(tmpdir(), 'mxray-calendar-e2e-'));
const db = join(dir, 'c.duckdb');
let truth: CalendarTruth;

const json = async <T>(args: string[]): Promise<T> => {
  const r = await mxrayInProcess([...args, '--db', db, '--json']);
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
};

/** the truth's view of a timeline */
export function truthView(t: Timeline) {
  return {
    meeting: t.meeting,
    mailboxes: t.mailboxes.map((m) => m.mailbox).sort(),
    events: t.events.map(({ time, mailbox, actor, role, action, itemClass, client, changes, sentence }) => ({
      time,
      mailbox,
      actor,
      role,
      action,
      itemClass,
      client,
      changes,
      sentence,
    })),
    warnings: t.warnings,
  };
}

test('calendar: the generated exports ingest without a reject, and the meetings are the truth', async () => {
  truth = await generateCalendar({ out: dir, seed: 7 });
  assert.equal(truth.scenarios.filter((s) => s.n <= 31).length, 31, 'the 31 actions of seed 001');
  const ing = await json<{ rejects: number; events: number; formats: Record<string, number> }>(['ingest', generatedLogs(dir)]);
  assert.equal(ing.rejects, 0);
  assert.equal(ing.events, truth.versions);
  assert.equal(ing.formats['calendar-csv'], truth.files);
  const meetings = await json<MeetingRow[]>(['calendar', 'meetings']);
  assert.deepEqual(meetings, truth.meetings);
});

test('calendar: every timeline equals the truth, sentence by sentence, with its warnings', async () => {
  for (const s of truth.scenarios) {
    const t = await json<Timeline>(['calendar', 'timeline', '--meeting', s.meeting]);
    const want = truth.timelines[s.meeting]!;
    assert.deepEqual(truthView(t), { ...want, mailboxes: [...want.mailboxes].sort() }, `scenario ${s.n}: ${s.title}`);
  }
});

test('calendar: the delegate who deleted is named, also where the log shows only the System Attendant', async () => {
  const board = truth.scenarios.find((s) => s.subject === 'Board meeting')!;
  const t = await json<Timeline>(['calendar', 'timeline', '--subject', 'board MEETING']);
  assert.equal(t.meeting.id, board.meeting);
  const del = t.events.find((e) => e.mailbox === 'ceo@corp.example' && /delete/i.test(e.action))!;
  assert.equal(del.actor, 'alice@corp.example');
  assert.equal(del.role, 'delegate');
  assert.match(del.actorFrom, /^correlated: /);
  // the organizer's log itself names only the System Attendant
  const review = await json<Timeline>(['calendar', 'timeline', '--subject', 'Budget review']);
  const gone = review.events.find((e) => e.mailbox === 'ceo@corp.example' && /delete/i.test(e.action))!;
  assert.equal(gone.sentence, "alice@corp.example (delegate, in ceo@corp.example's mailbox) deleted the meeting from Outlook desktop (MAPI)");
  // without the delegate's export, nobody is named and a warning says why
  const hold = await json<Timeline>(['calendar', 'timeline', '--subject', 'Legal hold']);
  assert.ok(hold.warnings.some((w) => w.startsWith('no delegate export')));
  assert.ok(hold.events.some((e) => e.sentence === "an unidentified delegate (in ceo@corp.example's mailbox) deleted the meeting from Outlook desktop (MAPI)"));
});

test('calendar: every warning story gives its warning, and the unusual client is flagged where it was used', async () => {
  for (const s of truth.scenarios.filter((x) => x.n > 100)) {
    const t = await json<Timeline>(['calendar', 'timeline', '--meeting', s.meeting]);
    const story = {
      101: 'no IPM.Appointment',
      102: 'logging apparently off',
      103: 'no delegate export',
      104: "organizer's mailbox",
      105: 'older than 31 days',
    }[s.n]!;
    assert.ok(
      t.warnings.some((w) => w.includes(story)),
      `${s.title}: ${t.warnings.join(' | ')}`,
    );
  }
  const flagged = Object.entries(truth.timelines).filter(([, t]) => t.warnings.some((w) => w.includes('does not normally use')));
  assert.deepEqual(
    flagged.map(([, t]) => t.meeting.subject),
    ['Customer call'],
  );
});

test('calendar: ingesting the same exports again adds nothing', async () => {
  const again = await json<{ events: number; skippedFiles: number }>(['ingest', generatedLogs(dir)]);
  assert.equal(again.events, 0);
  const meetings = await json<MeetingRow[]>(['calendar', 'meetings']);
  assert.deepEqual(meetings, truth.meetings);
});

test('calendar: a bad parameter is a usage error, an unknown meeting a clear error', async () => {
  const none = await mxrayInProcess(['calendar', 'timeline', '--db', db]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /name the meeting/);
  const missing = await mxrayInProcess(['calendar', 'timeline', '--db', db, '--subject', 'no such meeting']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no meeting's subject contains "no such meeting"/);
  const weekly = await mxrayInProcess(['calendar', 'timeline', '--db', db, '--subject', 'weekly']);
  assert.equal(weekly.code, 1);
  assert.match(weekly.stderr, /meetings' subjects contain "weekly": name one with --meeting/);
});
