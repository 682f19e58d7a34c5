// A large calendar log set for the benchmark: the stories of scenarios.ts (so a known meeting can
// be asked for), then everyday meetings between MAILBOXES generated mailboxes (created, sent,
// answered, moved and sent again) until about VERSIONS versions, one CSV per mailbox as one
// Get-CalendarDiagnosticObjects export each. Written meeting by meeting: bounded memory.
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Prng } from '../iis/prng.js';
import { generatedLogs } from '../layout.js';
import { csvHead, csvOrder, csvRows, type CsvStyle } from './csv.js';
import { tell } from './index.js';
import { Meeting, type Answer } from './meeting.js';
import { World, type Version } from './world.js';

export interface BulkOptions {
  out: string;
  mailboxes: number;
  versions: number;
  seed?: number;
  start?: string;
}

const FLUSH_BYTES = 64 << 10;

export function generateCalendarBulk(o: BulkOptions): { versions: number; files: number; meetings: number } {
  const seed = o.seed ?? 1;
  const dir = join(generatedLogs(o.out), 'csv');
  mkdirSync(dir, { recursive: true });
  const rng = new Prng(seed, 5);
  const style: CsvStyle = { typeLine: true, utf16: false, enUsTimes: false, shuffled: false };
  const order = csvOrder(style, rng);
  const files = new Map<string, string[]>();
  const sizes = new Map<string, number>();
  const write = (vs: readonly Version[]) => {
    for (const v of vs) {
      const name = `${v.mailbox}_bulkexport.csv`;
      let buf = files.get(name);
      if (!buf) {
        buf = [];
        files.set(name, buf);
        writeFileSync(join(dir, name), csvHead(style, order));
        sizes.set(name, 0);
      }
      const row = csvRows([v], style, order);
      buf.push(row);
      sizes.set(name, sizes.get(name)! + row.length);
      if (sizes.get(name)! >= FLUSH_BYTES) flush(name);
    }
  };
  const flush = (name: string) => {
    appendFileSync(join(dir, name), files.get(name)!.join(''));
    files.set(name, []);
    sizes.set(name, 0);
  };

  // the stories, so that `calendar timeline --subject "Budget review"` has its meeting
  const { exported } = tell(seed, o.start ?? '2024-03-04');
  write(exported);
  let versions = exported.length;
  let meetings = 0;
  const users = Array.from({ length: o.mailboxes }, (_, i) => `user${String(i + 1).padStart(4, '0')}`);
  const base = Date.parse(`${o.start ?? '2024-03-04'}T00:00:00Z`) - 20 * 86400000;
  const w = new World(seed, base);
  // meetings start spread over about 30 days (each one's changes follow within the hour)
  const step = Math.max(1, Math.round((30 * 86400000) / (o.versions / 28)));
  const answers: Answer[] = ['accept', 'accept', 'tentative', 'decline'];
  while (versions < o.versions) {
    const organizer = rng.pick(users);
    const attendees = new Set<string>();
    while (attendees.size < 3) {
      const a = rng.pick(users);
      if (a !== organizer) attendees.add(a);
    }
    w.now = base + meetings * step;
    const m = new Meeting(w, { subject: `Sync ${++meetings}`, organizer, attendees: [...attendees] });
    const act = { person: organizer, client: rng.chance(0.2) ? ('owa' as const) : ('outlook' as const) };
    m.create(act);
    m.send(act, 'request');
    for (const a of attendees) m.respond({ person: a, client: 'outlook' }, a, rng.pick(answers), rng.chance(0.7));
    if (rng.chance(0.5)) m.update(act, { start: m.state.start + 3600000, end: m.state.end + 3600000 }, true);
    const vs = w.drain();
    write(vs);
    versions += vs.length;
  }
  for (const name of files.keys()) flush(name);
  return { versions, files: files.size, meetings };
}
