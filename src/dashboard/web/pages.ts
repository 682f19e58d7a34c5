// The one list of pages, in the navigation's order. A capability adds its page here: a file in
// pages/ exporting a Page (page.ts), its opening requests in ../requests.ts (so the one-file report
// has them), and one line below.
import type { Page } from './page.js';
import { activesyncPage } from './pages/activesync.js';
import { calendarPage } from './pages/calendar.js';
import { eventsPage } from './pages/events.js';
import { healthPage } from './pages/health.js';
import { hostPage } from './pages/host.js';
import { presencePage } from './pages/presence.js';
import { trackingPage } from './pages/tracking.js';

export const pages: readonly Page[] = [healthPage, trackingPage, activesyncPage, presencePage, calendarPage, eventsPage, hostPage];
