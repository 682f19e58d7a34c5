// Calendar: the meetings in the store, and one meeting's merged timeline across every mailbox
// (`mxray calendar meetings|timeline --json`), found by subject or id.
import { pageRequests } from '../../requests.js';
import { report, reports } from '../data.js';
import type { Page } from '../page.js';
import { href } from '../range.js';
import { h, message, section, table } from '../ui.js';

type Row = Record<string, unknown>;
interface Timeline {
  meeting: { id: string; subject: string; organizer: string | null };
  mailboxes: Row[];
  events: Row[];
}

export const calendarPage: Page = {
  path: 'calendar',
  title: 'Calendar',
  async render({ root, route, signal }) {
    const meeting = route.args.get('meeting') ?? '';
    const subject = route.args.get('subject') ?? '';
    const input = h('input', { type: 'search', id: 'find-meeting', name: 'subject', value: subject || meeting, required: true });
    const form = h(
      'form',
      {
        class: 'find',
        onsubmit: (e: Event) => {
          e.preventDefault();
          const v = input.value.trim();
          location.hash = href('calendar', route.range, /^[0-9A-Fa-f]{40,}$/.test(v) ? { meeting: v } : { subject: v });
        },
      },
      h('label', { for: 'find-meeting' }, 'Find a meeting (subject or id) '),
      input,
      h('button', { type: 'submit' }, 'Find'),
    );
    const found = section('Timeline', form);
    root.append(found);
    if (meeting || subject) {
      try {
        const t = await report<Timeline>({ id: 'calendar.timeline', params: { ...(meeting ? { meeting } : { subject }), ...route.range } }, signal);
        found.append(
          h(
            'p',
            { class: 'lead' },
            `${t.meeting.subject} — organizer ${t.meeting.organizer ?? 'unknown'}; ${t.events.length} changes in ${t.mailboxes.length} mailboxes`,
          ),
          h('ol', { class: 'sentences' }, ...t.events.map((e) => h('li', {}, h('time', {}, String(e.time)), ' ', String(e.sentence)))),
          table({
            name: 'calendar-timeline',
            caption: 'the merged timeline, oldest first',
            rows: t.events,
            columns: [
              { key: 'time', title: 'time', kind: 'text' },
              { key: 'mailbox', title: 'mailbox', kind: 'text' },
              { key: 'actor', title: 'actor', kind: 'text' },
              { key: 'role', title: 'role', kind: 'text' },
              { key: 'action', title: 'action', kind: 'text' },
              { key: 'itemClass', title: 'item class', kind: 'text' },
              { key: 'client', title: 'client', kind: 'text' },
            ],
          }),
        );
      } catch (e) {
        found.append(message((e as Error).message, 'error'));
      }
    }
    const d = (await reports(pageRequests.calendar(route.range), signal)) as { meetings: Row[] };
    root.append(
      section(
        'Meetings',
        table({
          name: 'calendar-meetings',
          caption: 'meetings with logged versions',
          search: true,
          rows: d.meetings,
          columns: [
            { key: 'subject', title: 'subject', kind: 'text' },
            { key: 'organizer', title: 'organizer', kind: 'text' },
            { key: 'versions', title: 'versions', kind: 'int' },
            { key: 'first', title: 'first', kind: 'text' },
            { key: 'last', title: 'last', kind: 'text' },
            { key: 'id', title: 'id', kind: 'text' },
          ],
          link: (r, key) => (key === 'subject' ? href('calendar', route.range, { meeting: String(r.id) }) : undefined),
        }),
      ),
    );
  },
};
