// mxray ingest PATH…: files or folders (recursive), .gz too; the format is detected per file.
import type { Command } from 'commander';
import { ingest, type IngestSummary } from '../ingest/ingest.js';
import { storeOptions, UsageError, withStore, write, type StoreOpts } from './common.js';
import { progressBar } from './progress.js';
import { humanBytes } from '../render/render.js';
import { rejectReasons } from '../formats/types.js';
import { formats } from '../formats/registry.js';
import { LiveLog } from '../store/live.js';
import { hasPresenceLogs, updatePresenceSpans } from '../capabilities/presence/ingest-step.js';
import { checkZone } from '../capabilities/presence/zone.js';

interface IngestOpts extends StoreOpts {
  json?: boolean;
  as?: string;
  verbose?: boolean;
  mailbox?: string;
  tz?: string;
  dateOrder?: string;
}

/** the JSON contract of `ingest --json` */
export function summaryJson(s: IngestSummary) {
  return {
    files: s.files,
    skippedFiles: s.skippedFiles,
    lines: s.lines,
    events: s.events,
    rejects: s.rejects,
    rejectsByReason: s.rejectsByReason,
    examples: s.examples,
    formats: s.formats,
    wholeFiles: s.wholeFiles,
    errors: s.errors,
    notes: [...s.notes.map((n) => ({ file: n.path, message: n.message })), ...s.details.flatMap((d) => d.notes.map((message) => ({ file: d.path, message })))],
    skipped: s.details.filter((d) => d.action === 'skipped').map((d) => ({ file: d.path, why: d.why })),
    resumed: s.details.filter((d) => d.action === 'resumed').map((d) => ({ file: d.path, why: d.why })),
    bytes: s.bytes,
    seconds: Math.round(s.seconds * 1000) / 1000,
  };
}

/** a path with its control characters escaped (a name holding a line break would split the line) */
export function shownPath(p: string): string {
  return p.replace(
    /[\x00-\x1f\x7f]/g,
    (c) => ({ '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c] ?? `\\x${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  );
}

export function summaryText(s: IngestSummary, verbose = false): string {
  const out: string[] = [];
  const mbs = s.seconds > 0 ? ` (${humanBytes(s.bytes / s.seconds)}/s)` : '';
  out.push(
    `ingested ${s.files} file(s), ${humanBytes(s.bytes)} in ${s.seconds.toFixed(1)} s${mbs}: ${s.lines.toLocaleString('en-US')} lines, ${s.events.toLocaleString('en-US')} events, ${s.rejects.toLocaleString('en-US')} rejected`,
  );
  const fmts = Object.entries(s.formats)
    .map(([f, n]) => `${f} ${n}`)
    .join(', ');
  const whole = !s.wholeFiles
    ? ''
    : s.wholeFiles === s.files
      ? ` (all read whole by the store's CSV reader)`
      : ` (${s.wholeFiles} read whole by the store's CSV reader, ${s.files - s.wholeFiles} line by line)`;
  if (fmts) out.push(`formats: ${fmts}${whole}`);
  // skipped files grouped by reason (a re-run skips every file: one line, not one per file)
  const skipped = new Map<string, string[]>();
  for (const d of s.details) {
    if (d.action !== 'skipped') continue;
    const why = (d.why ?? '').replace(/ \(same content as .*\)$/, ' (same content as a file ingested earlier)');
    skipped.set(why, [...(skipped.get(why) ?? []), shownPath(d.path)]);
  }
  for (const [why, paths] of skipped) {
    const shown = verbose ? paths : paths.slice(0, 3);
    const more = paths.length > shown.length ? `, and ${paths.length - shown.length} more` : '';
    out.push(`skipped ${paths.length} file(s), ${why}: ${shown.join(', ')}${more}`);
  }
  for (const d of s.details) {
    if (d.action === 'resumed') out.push(`resumed ${shownPath(d.path)}: ${d.why}`);
    for (const n of d.notes) out.push(`note ${shownPath(d.path)}: ${n}`);
  }
  if (s.rejects) {
    out.push('rejected lines by reason:');
    for (const [r, n] of Object.entries(s.rejectsByReason))
      out.push(`  ${r.padEnd(18)} ${String(n).padStart(8)}  ${rejectReasons[r as keyof typeof rejectReasons]}`);
    out.push('first examples:');
    for (const e of s.examples) out.push(`  ${shownPath(e.file)}:${e.line}: ${e.reason}${e.detail ? ` (${e.detail})` : ''}`);
  }
  for (const n of s.notes) out.push(`note ${shownPath(n.path)}: ${n.message}`);
  for (const e of s.errors) out.push(`error ${shownPath(e.path)}: ${e.message}`);
  return out.join('\n') + '\n';
}

export function registerIngest(program: Command): void {
  storeOptions(
    program
      .command('ingest')
      .description(
        'read log files or folders (recursive, .gz too) into the store; the format is detected per file; re-running adds nothing twice and continues grown or interrupted files',
      )
      .argument('<paths...>', 'files or folders'),
  )
    .option('--as <format>', `read every file as this format instead of detecting it (${Object.keys(formats).join(', ')})`)
    .option(
      '--mailbox <address>',
      "calendar exports: whose mailbox they are, where neither their rows nor their file names say (CSS-Exchange's <ShortName>_<MeetingId>.csv)",
    )
    .option(
      '--tz <zone>',
      "presence logs and Get-WinEvent CSV exports: the time zone their local times are in (IANA name, e.g. Europe/Berlin; default: this machine's zone)",
    )
    .option(
      '--date-order <order>',
      'Get-WinEvent CSV exports: the order of day, month and year in TimeCreated (dmy, mdy, ymd; default: read from the dates, else assumed from how they are written)',
    )
    .option('--json', 'print the summary as JSON')
    .option('--verbose', 'list every skipped file')
    .action(async (paths: string[], o: IngestOpts) => {
      if (o.dateOrder !== undefined && !['dmy', 'mdy', 'ymd'].includes(o.dateOrder))
        throw new UsageError(`--date-order: expected dmy, mdy or ymd, got "${o.dateOrder}"`);
      if (o.tz !== undefined) {
        try {
          o.tz = checkZone(o.tz);
        } catch (e) {
          throw new UsageError((e as Error).message);
        }
      }
      const bar = o.json ? undefined : progressBar();
      const summary = await withStore(
        o,
        async (store) => {
          const s = await ingest(paths, {
            store,
            ...(o.as ? { format: o.as } : {}),
            ...(o.mailbox || o.tz || o.dateOrder
              ? { hints: { ...(o.mailbox ? { mailbox: o.mailbox } : {}), ...(o.tz ? { tz: o.tz } : {}), ...(o.dateOrder ? { dateOrder: o.dateOrder } : {}) } }
              : {}),
            ...(bar ? { onProgress: (p) => bar.update(p) } : {}),
            onWait: (m) => process.stderr.write(`mxray: ${m}…\n`),
          });
          // presence logs: the durations of their samples (capabilities/presence/ingest-step.ts),
          // and what a step cut off earlier left undone
          const presence = s.details.filter((d) => d.format === 'presence-log' && (d.action === 'ingested' || d.action === 'resumed') && d.events > 0);
          if (presence.length || (await hasPresenceLogs(store))) {
            const step = await updatePresenceSpans(
              store,
              await LiveLog.open(store, 'presence-import'),
              presence.map((d) => d.path),
            );
            if (step.resumed || presence.length)
              s.notes.push({
                path: presence.length === 1 ? presence[0]!.path : presence.length ? `${presence.length} presence logs` : 'presence logs',
                message: `durations of the presence samples computed over ${step.days} day(s)${step.resumed ? ', finishing an earlier import that was cut off' : ''}`,
              });
          }
          return s;
        },
        true,
      );
      bar?.done();
      write(o.json ? JSON.stringify(summaryJson(summary), null, 2) + '\n' : summaryText(summary, o.verbose));
      if (summary.errors.length) process.exitCode = 1;
    });
}
