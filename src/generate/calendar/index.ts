// mxray generate calendar: the calendar diagnostic logs of an organisation, exported per mailbox
// and meeting as CSS-Exchange does (`<ShortName>_<ShortMeetingID>.csv` under OUT/logs/csv/), with
// OUT/truth.json beside: every meeting's timeline as it must come out (one sentence per logged
// change, what changed, the warnings), made from this generator's own bookkeeping.
// The stories: the 31 actions of seed 001 (scenarios.ts), the warnings' stories, and one meeting
// older than the retention.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatedLogs, generatedTruth } from '../layout.js';
import { csvHead, csvOrder, csvRows, csvStyle, encode } from './csv.js';
import { oldMeeting, scenarios, warningStories, type Story } from './scenarios.js';
import { address, APPOINTMENT, CANCELED, clients, DELEGATE_COPY, REQUEST, text, World, type Version } from './world.js';
import { Prng } from '../iis/prng.js';
import { writeMsgExports } from './msg.js';

export { generatedLogs, generatedTruth } from '../layout.js';

export interface CalendarOptions {
  out: string;
  seed?: number;
  /** first day (UTC) of the stories */
  start?: string;
  /** csv (default), msg (Get-CalendarDiagnosticLog .msg folders), or both */
  as?: 'csv' | 'msg' | 'both';
}

export interface TruthEvent {
  time: string;
  mailbox: string;
  actor: string;
  role: string;
  action: string;
  itemClass: string;
  client: string;
  changes: { field: string; from: string | null; to: string | null }[];
  sentence: string;
}

export interface TruthTimeline {
  meeting: { id: string; subject: string; organizer: string | null };
  mailboxes: string[];
  events: TruthEvent[];
  warnings: string[];
}

export interface CalendarTruth {
  scenarios: { n: number; title: string; meeting: string; subject: string }[];
  meetings: { id: string; subject: string; organizer: string | null; mailboxes: string[]; versions: number; first: string; last: string }[];
  timelines: Record<string, TruthTimeline>;
  versions: number;
  files: number;
}

const RETENTION_DAYS = 31;
const stamp = (t: number) => `${text(t)}.000`;
const day = 86400000;

/** versions in the timeline's order: time, mailbox, item class, version */
export function byTimeline(a: Version, b: Version): number {
  if (a.modified !== b.modified) return a.modified - b.modified;
  if (a.mailbox !== b.mailbox) return a.mailbox < b.mailbox ? -1 : 1;
  if (a.itemClass !== b.itemClass) return a.itemClass < b.itemClass ? -1 : 1;
  return a.itemVersion - b.itemVersion;
}

interface Told {
  n: number;
  title: string;
  story: Story;
}

/** every story told in one world: the versions logged and what is exported of them */
export function tell(seed: number, start: string): { told: Told[]; exported: Version[] } {
  const base = Date.parse(`${start}T08:00:00Z`);
  const w = new World(seed, base - 40 * day);
  const old = oldMeeting(w);
  const told: Told[] = [];
  [...scenarios, ...warningStories].forEach((s, i) => {
    w.now = base + i * 3 * 3600000;
    told.push({ n: s.n, title: s.title, story: s.story(w) });
  });
  w.now += 3600000;
  old.update({ person: 'frank', client: 'outlook' }, { location: 'Room 9' }, true);
  told.push({ n: 105, title: 'A meeting older than the retention', story: { meeting: old, warns: 'older than 31 days' } });
  const stories = new Map(told.map((t) => [t.story.meeting.id, t.story]));
  const exported = w.versions.filter((v) => {
    const s = stories.get(v.meetingId)!;
    if (s.unexported?.includes(v.mailbox)) return false;
    if (s.loggingOff && s.loggingOff.mailbox === v.mailbox && v.modified > s.loggingOff.after) return false;
    return true;
  });
  for (const v of exported) {
    const s = stories.get(v.meetingId)!;
    if (s.unattributed?.includes(v.modified) && v.expect.role === 'delegate') {
      const named = v.expect.actor;
      v.expect = { ...v.expect, actor: 'an unidentified delegate', sentence: v.expect.sentence.replace(`${named} (delegate, `, 'an unidentified delegate (') };
    }
  }
  return { told, exported };
}

function warningsOf(
  story: Story,
  vs: readonly Version[],
  all: readonly Version[],
  newest: ReadonlyMap<string, number>,
  usage: ReadonlyMap<string, number>,
  total: number,
): string[] {
  const m = story.meeting;
  const out: string[] = [];
  const boxes = [...new Set(vs.map((v) => v.mailbox))];
  const isAppointment = vs.every((v) => v.state === 0);
  if (!isAppointment) {
    if (!boxes.includes(m.organizer)) out.push(`no export of the organizer's mailbox (${address(m.organizer)}): its authoritative copy is missing`);
    if (boxes.length === 1 && boxes[0] === m.organizer) out.push("only the organizer's mailbox is exported: no attendee's side of the meeting");
  }
  for (const v of vs)
    if (v.expect.actor === 'an unidentified delegate')
      out.push(
        `no delegate export: a System Attendant change in ${address(v.mailbox)} at ${text(v.modified)} could not be attributed (export the delegates' mailboxes too)`,
      );
  for (const b of boxes) {
    const mine = vs.filter((v) => v.mailbox === b);
    if (
      mine.some((v) => v.itemClass === REQUEST && v.meetingRequestType !== DELEGATE_COPY && v.folder !== 'Sent Items') &&
      !mine.some((v) => v.itemClass === APPOINTMENT)
    )
      out.push(`${address(b)} has the meeting request but no IPM.Appointment version: the calendar item was never saved there (an Outlook save failure?)`);
  }
  for (const b of boxes) {
    const end = newest.get(b)!;
    const old = vs.filter((v) => v.mailbox === b && (end - v.modified) / day > RETENTION_DAYS);
    if (old.length)
      out.push(
        `${address(b)}: ${old.length} change(s) older than ${RETENTION_DAYS} days before the export's newest log time (${text(end)}): Exchange keeps about ${RETENTION_DAYS} days, so the history before ${text(old[old.length - 1]!.modified)} may be incomplete`,
      );
  }
  if (!isAppointment && boxes.includes(m.organizer)) {
    const sent = vs.filter(
      (v) =>
        v.mailbox === m.organizer &&
        v.action === 'Create' &&
        v.folder === 'Sent Items' &&
        (v.itemClass === CANCELED || (v.itemClass === REQUEST && (v.meetingRequestType ?? 1) !== 1)),
    );
    for (const b of boxes) {
      if (b === m.organizer) continue;
      const last = Math.max(...vs.filter((v) => v.mailbox === b).map((v) => v.modified));
      const later = sent.filter((s) => s.modified - last > 3600000);
      if (later.length && vs.some((v) => v.mailbox === b && v.itemClass === APPOINTMENT && v.meetingRequestType !== DELEGATE_COPY))
        out.push(
          `calendar logging apparently off in ${address(b)} after ${text(last)}: the organizer's ${later.length} later update(s) (first at ${text(later[0]!.modified)}) are not in its log`,
        );
    }
  }
  if (total >= 100) {
    const said = new Set<string>();
    for (const v of vs) {
      const name = clients[v.client].name;
      const n = usage.get(name);
      if (n === undefined || n >= total * 0.01 || said.has(name)) continue;
      said.add(name);
      out.push(`changed from ${name}, a client the organisation does not normally use (${n} of ${total} logged versions in this store)`);
    }
  }
  void all;
  return out;
}

/** the truth of what was exported */
export function truthOf(told: readonly Told[], exported: readonly Version[]): Omit<CalendarTruth, 'files'> {
  const newest = new Map<string, number>();
  for (const v of exported) newest.set(v.mailbox, Math.max(newest.get(v.mailbox) ?? 0, v.logTime));
  const usage = new Map<string, number>();
  const userClients = new Set(['outlook', 'outlookDelegate', 'owa', 'iphone']);
  for (const v of exported) if (userClients.has(v.client)) usage.set(clients[v.client].name, (usage.get(clients[v.client].name) ?? 0) + 1);
  const timelines: Record<string, TruthTimeline> = {};
  const meetings: CalendarTruth['meetings'] = [];
  for (const t of told) {
    const m = t.story.meeting;
    const vs = exported.filter((v) => v.meetingId === m.id).sort(byTimeline);
    const isAppointment = vs.every((v) => v.state === 0);
    const organizer = isAppointment ? null : address(m.organizer);
    const subject = vs[vs.length - 1]!.subject;
    const mailboxes = [...new Set(vs.map((v) => v.mailbox))].sort().map(address);
    timelines[m.id] = {
      meeting: { id: m.id, subject, organizer },
      mailboxes,
      events: vs.map((v) => ({
        time: stamp(v.modified),
        mailbox: address(v.mailbox),
        actor: v.expect.actor,
        role: v.expect.role,
        action: v.action,
        itemClass: v.itemClass,
        client: clients[v.client].name,
        changes: v.expect.changes,
        sentence: v.expect.sentence,
      })),
      warnings: warningsOf(t.story, vs, exported, newest, usage, exported.length),
    };
    meetings.push({ id: m.id, subject, organizer, mailboxes, versions: vs.length, first: stamp(vs[0]!.modified), last: stamp(vs[vs.length - 1]!.modified) });
  }
  meetings.sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : a.id < b.id ? -1 : 1));
  return {
    scenarios: told.map((t) => ({ n: t.n, title: t.title, meeting: t.story.meeting.id, subject: t.story.meeting.state.subject })),
    meetings,
    timelines,
    versions: exported.length,
  };
}

/** one CSV per mailbox and meeting, as CSS-Exchange names them */
function writeCsvExports(dir: string, exported: readonly Version[], seed: number): number {
  mkdirSync(dir, { recursive: true });
  const rng = new Prng(seed, 91);
  const files = new Map<string, Version[]>();
  for (const v of exported) {
    const name = `${v.mailbox}_${v.meetingId.slice(-8)}.csv`;
    files.set(name, [...(files.get(name) ?? []), v]);
  }
  for (const [name, vs] of [...files].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const style = csvStyle(rng);
    const order = csvOrder(style, rng);
    // the cmdlet lists a mailbox's versions newest first
    const rows = [...vs].sort((a, b) => b.modified - a.modified);
    writeFileSync(join(dir, name), encode(csvHead(style, order) + csvRows(rows, style, order), style));
  }
  return files.size;
}

export async function generateCalendar(o: CalendarOptions): Promise<CalendarTruth> {
  const seed = o.seed ?? 1;
  const { told, exported } = tell(seed, o.start ?? '2024-03-04');
  const logs = generatedLogs(o.out);
  let files = 0;
  const as = o.as ?? 'csv';
  if (as !== 'msg') files += writeCsvExports(join(logs, 'csv'), exported, seed);
  if (as !== 'csv') files += await writeMsgExports(join(logs, 'msg'), exported);
  const truth: CalendarTruth = { ...truthOf(told, exported), files };
  mkdirSync(o.out, { recursive: true });
  writeFileSync(generatedTruth(o.out), JSON.stringify(truth, null, 2) + '\n');
  return truth;
}
