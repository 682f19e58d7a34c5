// The calendar reports as specs (see ../report.ts): `calendar meetings` and `calendar timeline`.
// Table: one line per change (`time  sentence`, then what changed), the warnings last; CSV: one
// row per change; JSON: the contract of types.ts (README).
import { renderRows, type ColumnSpec, type OutputFormat } from '../../render/render.js';
import { outputParams, rangeOf, rangeOrder, rangeParams } from '../params.js';
import { defineReport, param } from '../report.js';
import { findMeeting, meetingsReport, timelineReport } from './timeline.js';
import type { Change, MeetingRow, Timeline } from './types.js';

const calendarParams = [...rangeParams, ...outputParams] as const;
const shown = (t: string) => t.replace(/\.000$/, '');

type MeetingDisplay = Omit<MeetingRow, 'mailboxes'> & { mailboxes: string };
const meetingColumns: ColumnSpec<MeetingDisplay>[] = [
  { key: 'id', title: 'meeting id', kind: 'text' },
  { key: 'subject', title: 'subject', kind: 'text' },
  { key: 'organizer', title: 'organizer', kind: 'text' },
  { key: 'mailboxes', title: 'mailboxes', kind: 'text' },
  { key: 'versions', title: 'versions', kind: 'int' },
  { key: 'first', title: 'first change (UTC)', kind: 'text' },
  { key: 'last', title: 'last change (UTC)', kind: 'text' },
];

export const calendarMeetings = defineReport({
  id: 'calendar.meetings',
  command: ['calendar', 'meetings'],
  description: 'the meetings in the calendar logs: id, subject, organizer, mailboxes exported, versions, first and last change',
  params: calendarParams,
  checks: [rangeOrder],
  run: (store, p) => meetingsReport(store, rangeOf(p)),
  render: (rows, format: OutputFormat) => {
    if (format === 'json') return JSON.stringify(rows, null, 2) + '\n';
    const display = rows.map((m) => ({ ...m, first: shown(m.first), last: shown(m.last), mailboxes: m.mailboxes.join(format === 'csv' ? ';' : ', ') }));
    return renderRows(display, meetingColumns, format);
  },
});

const changeText = (c: Change) => `${c.field} ${c.from ?? '(none)'} -> ${c.to ?? '(none)'}`;

interface EventDisplay {
  time: string;
  mailbox: string;
  actor: string;
  role: string;
  action: string;
  itemClass: string;
  client: string;
  changes: string;
  sentence: string;
  appointmentState: string | null;
  responseType: string | null;
  meetingRequestType: string | null;
}
const eventColumns: ColumnSpec<EventDisplay>[] = [
  { key: 'time', title: 'time', kind: 'text' },
  { key: 'mailbox', title: 'mailbox', kind: 'text' },
  { key: 'actor', title: 'actor', kind: 'text' },
  { key: 'role', title: 'role', kind: 'text' },
  { key: 'action', title: 'action', kind: 'text' },
  { key: 'itemClass', title: 'item class', kind: 'text' },
  { key: 'client', title: 'client', kind: 'text' },
  { key: 'changes', title: 'changes', kind: 'text' },
  { key: 'sentence', title: 'sentence', kind: 'text' },
  { key: 'appointmentState', title: 'appointment state', kind: 'text' },
  { key: 'responseType', title: 'response', kind: 'text' },
  { key: 'meetingRequestType', title: 'request type', kind: 'text' },
];

/** the timeline as text: a heading, one line per change (and what changed), the warnings */
export function timelineText(t: Timeline): string {
  const out: string[] = [];
  out.push(`meeting ${t.meeting.id}: ${t.meeting.subject ?? '(no subject)'}${t.meeting.organizer ? `, organized by ${t.meeting.organizer}` : ''}`);
  out.push(
    `mailboxes: ${t.mailboxes.map((m) => `${m.mailbox} (${m.versions} version${m.versions === 1 ? '' : 's'}, mailbox known from ${m.from})`).join(', ')}`,
  );
  out.push('');
  for (const e of t.events) {
    out.push(`${shown(e.time).slice(0, 19)}  ${e.sentence}`);
    if (e.changes.length) out.push(`                     changed: ${e.changes.map(changeText).join('; ')}`);
    if (e.actorFrom.startsWith('correlated')) out.push(`                     (actor ${e.actorFrom.replace(/^correlated: /, 'found by ')})`);
  }
  if (t.warnings.length) {
    out.push('');
    for (const w of t.warnings) out.push(`warning: ${w}`);
  }
  return out.join('\n') + '\n';
}

export const calendarTimeline = defineReport({
  id: 'calendar.timeline',
  command: ['calendar', 'timeline'],
  description: "one meeting's changes across every mailbox exported, oldest first, one sentence each: who, acting for whom, from which client",
  params: [
    ...calendarParams,
    param.text('meeting', '--meeting <id>', 'the meeting by its CleanGlobalObjectId (as `calendar meetings` lists it)', { expects: 'a meeting id' }),
    param.text('subject', '--subject <text>', 'the meeting whose subject contains this text (any case)', { expects: 'a subject' }),
  ],
  checks: [rangeOrder, (v) => (v.meeting === undefined && v.subject === undefined ? 'name the meeting: --meeting <id> or --subject <text>' : undefined)],
  run: async (store, p) => timelineReport(store, await findMeeting(store, p, rangeOf(p)), rangeOf(p)),
  render: (t, format) => {
    if (format === 'json') return JSON.stringify(t, null, 2) + '\n';
    if (format === 'table') return timelineText(t);
    const rows = t.events.map((e) => ({ ...e, changes: e.changes.map(changeText).join('; ') }));
    return renderRows(rows, eventColumns, 'csv');
  },
});

export const calendarReports = [calendarMeetings, calendarTimeline] as const;
