// The seed's presence logs (seed 000, Exchange 2000 IM state logging script): one file per day,
// `YYYYMMDD.log`, CRLF, no header, one line per user per sample:
//   20020404,10:21,administrator@exbend,Administrator,2
//   date (yyyymmdd), time (HH:MM), IM address, username, state (the IM SDK's number, decimal)
// The same lines the presence recorder writes (capabilities/presence/recorder.ts).
//
// Times are LOCAL time of the machine that logged: read in the zone `mxray ingest --tz` gives
// (hints.tz), else this machine's zone; a note in the summary says which. In the hour the clocks
// skip (spring), a time is read as after the change (a note counts them); in the hour they repeat
// (autumn), a user's sample is the first pass unless that user already has a sample at or after it
// in this file (then the second pass), and a note counts them.
//
// A username may hold commas (a display name): the IM address is the third field, the state the
// last, and the username everything between. States the seed's table names map to their state;
// other numbers (the local client's 256 finding server, 512 connecting, 768 synchronizing, 1024
// disconnecting, or any other) are kept with their raw value and stored as `unknown`.
//
// Row values (presence_samples): user = IM address lower case; username; ts and ts_s = the UTC time;
// state; raw = the number as logged (leading zeros dropped); source 'log'; pushed 0; interval_s = the
// median gap between this user's samples in the file so far (NULL for a user's first sample in the
// file), which is the interval of an imported log (capabilities/presence/spans.ts).
import type { ParseContext, Parser, Sample, Sniffed, TextFormat } from '../types.js';
import { seedCode, type PresenceState } from '../../capabilities/presence/types.js';
import { GapCounts } from '../../capabilities/presence/spans.js';
import { checkZone, localToUtc, machineZone } from '../../capabilities/presence/zone.js';

const LINE = /^(\d{4})(\d{2})(\d{2}),(\d{1,2}):(\d{2}),([^,\s]+),(.*),\s*(\d{1,5})\s*$/;
const NAME = /^\d{8}\.log$/i;

/** the seed's number → state (decimal) */
export const stateOfCode: ReadonlyMap<number, PresenceState> = new Map(Object.entries(seedCode).map(([s, c]) => [c, s as PresenceState]));

/** why a line is not a presence line ('' when it is one) */
function shape(t: string): boolean {
  return LINE.test(t);
}

export function sniffPresenceLog(sample: Sample): Sniffed | undefined {
  const lines = sample.lines.filter((l) => l.trim() !== '');
  if (!lines.length) return undefined;
  const fit = lines.filter(shape).length;
  if (fit !== lines.length && !(fit >= 3 && fit >= lines.length - 1)) return undefined;
  const named = NAME.test(sample.name);
  return {
    confidence: named ? 70 : 55,
    reason: `${fit} line(s) of date,time,IM address,username,state (the IM presence logging script's format)${named ? ', file named YYYYMMDD.log' : ''}`,
  };
}

interface UserSeen {
  last: number;
  gaps: GapCounts;
}

class PresenceLogParser implements Parser {
  private readonly zone: string;
  private readonly users = new Map<string, UserSeen>();
  private skipped = 0;
  private repeated = 0;
  private unknownCodes = new Map<number, number>();

  constructor(private readonly ctx: ParseContext) {
    const given = ctx.hints?.tz;
    this.zone = checkZone(given ?? machineZone());
    ctx.note(`times read as local time in ${this.zone} (${given ? '--tz' : "this machine's zone; give another with --tz"})`);
  }

  line(buf: Buffer, s: number, e: number, lineNo: number): void {
    const t = buf.toString('utf8', s, e);
    if (t.trim() === '') return;
    const m = LINE.exec(t);
    if (!m) {
      const n = t.split(',').length;
      this.ctx.reject(lineNo, n < 5 ? 'field-count' : 'malformed', `${n} comma-separated fields; a presence line is date,time,IM address,username,state`);
      return;
    }
    const [, y, mo, d, hh, mi, addr, username, code] = m as unknown as string[];
    const local = Date.UTC(+y!, +mo! - 1, +d!, +hh!, +mi!) / 1000;
    const check = new Date(local * 1000);
    if (check.getUTCMonth() !== +mo! - 1 || check.getUTCDate() !== +d! || +hh! > 23 || +mi! > 59) {
      this.ctx.reject(lineNo, 'bad-time', `'${t.slice(0, 14)}' is not a date and time`);
      return;
    }
    const user = addr!.toLowerCase();
    const seen = this.users.get(user);
    const candidates = localToUtc(this.zone, local);
    let ts: number;
    if (candidates.length === 0) {
      // the clocks skipped this time: read it as after the change (an hour later by the old offset)
      ts = localToUtc(this.zone, local + 3600)[0] ?? local;
      this.skipped++;
    } else if (candidates.length === 2) {
      ts = seen && seen.last >= candidates[0]! ? candidates[1]! : candidates[0]!;
      this.repeated++;
    } else ts = candidates[0]!;
    const raw = String(Number(code));
    const state = stateOfCode.get(Number(code));
    if (state === undefined) this.unknownCodes.set(Number(code), (this.unknownCodes.get(Number(code)) ?? 0) + 1);
    let interval: number | undefined;
    if (seen) {
      seen.gaps.add(ts - seen.last);
      if (ts > seen.last) seen.last = ts;
      interval = seen.gaps.median();
    } else this.users.set(user, { last: ts, gaps: new GapCounts() });
    const w = this.ctx.out('presence');
    w.begin(lineNo);
    w.text(user);
    w.text(username!);
    w.text(new Date(ts * 1000).toISOString().replace('T', ' ').replace('Z', ''));
    w.int(ts);
    w.text(state ?? 'unknown');
    w.text(raw);
    w.text('log');
    w.int(0);
    if (interval === undefined) w.nul();
    else w.int(interval);
    w.end();
  }

  end(): void {
    if (this.skipped) this.ctx.note(`${this.skipped} line(s) at a local time the clocks skipped (DST) in ${this.zone}: read as after the change`);
    if (this.repeated) this.ctx.note(`${this.repeated} line(s) in the hour the clocks repeat (DST) in ${this.zone}: each user's first pass, then the second`);
    if (this.unknownCodes.size)
      this.ctx.note(
        `state numbers outside the IM SDK's table kept as raw values and stored as unknown: ${[...this.unknownCodes]
          .sort((a, b) => a[0] - b[0])
          .map(
            ([c, n]) =>
              `${c} (${n}×${c === 256 ? ', finding server' : c === 512 ? ', connecting' : c === 768 ? ', synchronizing' : c === 1024 ? ', disconnecting' : ''})`,
          )
          .join(', ')}`,
      );
  }

  state(): unknown {
    return null;
  }
}

export const presenceLog: TextFormat = {
  name: 'presence-log',
  title: 'IM presence log (the IM state logging script: YYYYMMDD.log, date,time,address,username,state)',
  tables: ['presence'],
  sniff: sniffPresenceLog,
  parser: (ctx) => new PresenceLogParser(ctx),
};
