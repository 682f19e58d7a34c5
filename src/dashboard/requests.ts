// What each page asks the API for when it opens, for a date range: one list, read by the pages
// (web/) and by `mxray report --html`, which runs every request here and puts the answers in the file,
// so that the one-file report shows what the served pages show. A request's key is its report id
// and its parameters in name order, as the API's cache keys them.

export interface Range {
  readonly from?: string;
  readonly to?: string;
}

export interface ReportRequest {
  readonly id: string;
  readonly params: Readonly<Record<string, string>>;
}

export function requestKey(r: ReportRequest): string {
  const q = Object.entries(r.params)
    .filter(([, v]) => v !== '')
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
  return `${r.id}?${q}`;
}

function range(r: Range): Record<string, string> {
  return { ...(r.from ? { from: r.from } : {}), ...(r.to ? { to: r.to } : {}) };
}

/** the requests each page makes when it opens (the live health matrix and a host's latest results
 *  are asked of serve directly; the one-file report's health page draws the probes stored in its
 *  period instead, `health` below) */
export const pageRequests = {
  health: (r: Range) => ({
    history: { id: 'monitor.history', params: range(r) },
  }),
  tracking: (r: Range) => ({
    classes: { id: 'tracking.classes', params: range(r) },
    users: { id: 'tracking.users', params: range(r) },
    perDay: { id: 'tracking.traffic', params: { ...range(r), by: 'day' } },
    perHour: { id: 'tracking.traffic', params: { ...range(r), by: 'hour' } },
    topSenders: { id: 'tracking.top', params: { ...range(r), by: 'sent', limit: '10' } },
    topReceivers: { id: 'tracking.top', params: { ...range(r), by: 'received', limit: '10' } },
  }),
  activesync: (r: Range) => ({
    devices: { id: 'eas.devices', params: range(r) },
    hourly: { id: 'eas.hourly', params: range(r) },
    commands: { id: 'eas.commands', params: range(r) },
    runaway: { id: 'eas.runaway', params: { ...range(r), per: 'hour' } },
  }),
  presence: (r: Range) => ({
    days: { id: 'presence.report', params: range(r) },
    heatmap: { id: 'presence.heatmap', params: range(r) },
  }),
  calendar: (r: Range) => ({
    meetings: { id: 'calendar.meetings', params: range(r) },
  }),
  events: (r: Range) => ({
    top: { id: 'events.top', params: { ...range(r), limit: '50' } },
    list: { id: 'events.list', params: { ...range(r), limit: '200' } },
    alerts: { id: 'rules.alerts', params: { ...range(r), limit: '500' } },
  }),
} satisfies Record<string, (r: Range) => Record<string, ReportRequest>>;

export type PageName = keyof typeof pageRequests;

/** every request of every page, for the one-file report */
export function allRequests(r: Range): ReportRequest[] {
  return Object.values(pageRequests).flatMap((page) => Object.values(page(r)));
}
