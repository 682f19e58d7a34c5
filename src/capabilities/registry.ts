// The one list of capabilities. The CLI builds `mxray <group> <report>` from it and the web API
// its routes, so adding a report is adding its spec to its capability's list, and adding a
// capability is a folder and one line here.
import { activesyncReports } from './activesync/report-specs.js';
import { calendarReports } from './calendar/report-specs.js';
import { presenceReports } from './presence/report-specs.js';
import { monitorReports } from './monitor/report-specs.js';
import type { AnyReport } from './report.js';
import { trackingReports } from './tracking/report-specs.js';
import { eventsReports } from './events/report-specs.js';
import { rulesReports } from './rules/report-specs.js';

export interface Capability {
  /** the folder under capabilities/ */
  name: string;
  /** for a page's heading */
  title: string;
  /** one line: the CLI group's --help */
  description: string;
  /** the store reports; each one's command starts with the same group word */
  reports: readonly AnyReport[];
}

export const capabilities: readonly Capability[] = [
  {
    name: 'tracking',
    title: 'Message tracking',
    description: 'message tracking reports: per-user traffic, capacity classes, traffic over time',
    reports: trackingReports,
  },
  {
    name: 'activesync',
    title: 'Exchange ActiveSync',
    description: 'Exchange ActiveSync: decode Log= strings, per-device reports, runaway devices, Export-ActiveSyncLog files',
    reports: activesyncReports,
  },
  {
    name: 'calendar',
    title: 'Calendar forensics',
    description: 'calendar diagnostic logs: who changed or deleted a meeting, when, from which client, acting for whom',
    reports: calendarReports,
  },
  {
    name: 'presence',
    title: 'Presence',
    description: 'IM presence: time online, busy, away … per user and day, a day as state intervals, PC in use (seed 000 logs, the poller)',
    reports: presenceReports,
  },
  {
    name: 'monitor',
    title: 'Service monitoring',
    description: 'service monitoring: the probe history of every instance `mxray serve` watches',
    reports: monitorReports,
  },
  {
    name: 'events',
    title: 'Windows event logs',
    description: 'Windows event logs (.evtx): what fills the logs, the events with their insertion strings',
    reports: eventsReports,
  },
  {
    name: 'rules',
    title: 'Rules',
    description: 'rules over stored events: check a rules file, dry-run it over the store, run it on what is new, the alerts fired',
    reports: rulesReports,
  },
];

/** every report, by id */
export const reports: ReadonlyMap<string, AnyReport> = new Map(capabilities.flatMap((c) => c.reports.map((r) => [r.id, r] as const)));
