// The tracking generator's knowledge, as data: the organisation, the behaviour groups of its
// mailboxes, the rhythm of a working week, message sizes, names, subjects and the outside world.
// The org model (org.ts), the traffic plan (plan.ts) and the writers read these tables.

/** the organisation every generated log belongs to */
export const organisation = {
  domain: 'contoso.com',
  /** X.400 address parts (Exchange 5.5 and 2003 MTS-IDs) */
  x400: { c: 'US', a: ' ', p: 'CONTOSO' },
  /** Exchange 5.5 organisation and site as they appear in DNs */
  legacyOrg: 'CONTOSO',
  legacySite: 'SITE1',
  /** server addresses: EX01 is .11; EX01 also takes mail from the internet (the 5.5 IMS, the
   *  2003/2007/2010 MX) */
  ipv4Prefix: '10.0.1.',
  workstationPrefix: '10.20.',
} as const;

/**
 * Behaviour groups. `n` is the nominal per-day normalised count sqrt((S² + R²) / 2) a mailbox of the
 * group aims at, drawn in [lo, hi] (skew > 1 favours the low end); `receiveRatio` is R / S.
 * The ranges sit on both sides of the 48 / 78 boundaries, so day-to-day variation moves some users
 * across them, as in a real site.
 */
export const behaviours = {
  light: { share: 0.72, n: [5, 43], skew: 1.4, receiveRatio: [1.4, 3.2], externalShare: [0.08, 0.25] },
  medium: { share: 0.19, n: [51, 73], skew: 1, receiveRatio: [1.15, 2.1], externalShare: [0.12, 0.3] },
  heavy: { share: 0.09, n: [84, 140], skew: 1, receiveRatio: [0.9, 1.7], externalShare: [0.15, 0.35] },
} as const;
export type Behaviour = keyof typeof behaviours | 'shared';

/** shared mailboxes (part of the N mailboxes when N >= sharedFrom) */
export const sharedMailboxes = [
  { alias: 'HELPDESK', local: 'Helpdesk', name: 'IT Helpdesk', sentPerDay: 14, receivedPerDay: 24, externalShare: 0.05 },
  { alias: 'REPORTS', local: 'Reports', name: 'Daily Reports', sentPerDay: 0, receivedPerDay: 0, externalShare: 0 },
] as const;
export const sharedFrom = 8;

/** teams: each gets a distribution group; the first exists in every organisation */
export const teams = [
  { name: 'IT Operations', local: 'it-ops' },
  { name: 'Sales', local: 'sales' },
  { name: 'Marketing', local: 'marketing' },
  { name: 'Finance', local: 'finance' },
  { name: 'Human Resources', local: 'hr' },
  { name: 'Engineering', local: 'engineering' },
  { name: 'Legal', local: 'legal' },
  { name: 'Customer Support', local: 'support-team' },
] as const;
export const membersPerTeam = 9;
/** the organisation-wide group is only built for organisations up to this many people */
export const allStaffMax = 300;

/** relative activity per UTC hour of a working day */
export const workingHours = [0.3, 0.2, 0.15, 0.15, 0.2, 0.5, 1.5, 4, 8, 10, 10, 9, 6, 8, 10, 10, 9, 6, 3, 2, 1.5, 1.2, 0.8, 0.5] as const;
/** mail from the internet keeps coming at night */
export const inboundHours = workingHours.map((w) => w + 2.5);

/** activity of a day of the week (0 = Sunday), before per-day variation */
export const weekdayActivity = [0.09, 1, 1, 1, 1, 0.95, 0.14] as const;
/** spread of a working day's activity around its mean (uniform ±) */
export const dayVariation = 0.12;
/** spread of one mailbox's activity from one day to the next (log-normal sigma) */
export const userDayVariation = 0.22;

/** number of recipients a message is addressed to, with weights */
export const recipientCounts = [
  { n: 1, w: 62 },
  { n: 2, w: 18 },
  { n: 3, w: 9 },
  { n: 4, w: 4 },
  { n: 5, w: 2.5 },
  { n: 6, w: 1.5 },
  { n: 8, w: 1.5 },
  { n: 10, w: 1 },
  { n: 12, w: 0.5 },
] as const;

/** message size mixture (bytes as submitted): log-normal components */
export const sizeMix = [
  { w: 0.74, median: 14_000, sigma: 0.6, min: 1_800, max: 90_000 },
  { w: 0.21, median: 180_000, sigma: 0.8, min: 40_000, max: 1_500_000 },
  { w: 0.05, median: 2_200_000, sigma: 0.7, min: 600_000, max: 14_000_000 },
] as const;

/** rare events, per message or per recipient slot */
export const rates = {
  /** a recipient slot addressed to the sender's team group */
  teamGroup: 0.035,
  /** an internal address with a typo (unknown recipient -> FAIL + NDR) */
  typo: 0.003,
  /** an external recipient whose server rejects the address (FAIL + NDR) */
  externalReject: 0.012,
  /** a delivered copy the store sees twice (DUPLICATEDELIVER, 2013+) */
  duplicateDeliver: 0.015,
  /** internet mailings to a team group, per team and average day */
  teamMailings: 0.4,
  /** share of internet messages addressed to several people of the organisation */
  inboundMulti: 0.18,
  /** share of people over their quota warning limit (a NOTIFYMAPI every night, 2010+) */
  overQuota: 0.04,
  /** working days with an organisation-wide announcement */
  announcement: 0.5,
  /** messages sent with high importance */
  highPriority: 0.04,
} as const;

export const firstNames = [
  'Alice',
  'Ben',
  'Carla',
  'David',
  'Emily',
  'Frank',
  'Grace',
  'Hugo',
  'Irene',
  'Jake',
  'Karen',
  'Liam',
  'Maria',
  'Nadia',
  'Oscar',
  'Paula',
  'Quentin',
  'Rosa',
  'Samir',
  'Tanya',
  'Umar',
  'Vera',
  'Walter',
  'Xenia',
  'Yusuf',
  'Zoe',
  'Andrew',
  'Beatriz',
  'Chen',
  'Dmitri',
  'Elena',
  'Fatima',
  'Gareth',
  'Hana',
  'Ingrid',
  'Jonas',
  'Kenji',
  'Lucia',
  'Mehmet',
  'Nora',
  'Olga',
  'Pierre',
  'Ravi',
  'Sofia',
  'Tom',
  'Ulrike',
  'Victor',
  'Wei',
  'Yara',
  'Zoltan',
  'Amir',
  'Brigitte',
  'Connor',
  'Daniela',
  'Emeka',
  'Freya',
] as const;
export const lastNames = [
  'Johnson',
  'Smith',
  'Garcia',
  'Müller',
  'Nakamura',
  'Okafor',
  'Rossi',
  'Dubois',
  'Kowalski',
  'Larsen',
  'Novak',
  'Petrov',
  'Silva',
  'Tanaka',
  'Schmidt',
  'Brown',
  'Fischer',
  'Hansen',
  'Ivanova',
  'Jensen',
  'Khan',
  'Lopez',
  'Martin',
  'Nguyen',
  "O'Brien",
  'Patel',
  'Quinn',
  'Reyes',
  'Singh',
  'Torres',
  'Vogel',
  'Walsh',
  'Young',
  'Zimmermann',
  'Andersen',
  'Becker',
  'Costa',
  'Diaz',
  'Evans',
  'Fernandes',
  'Gruber',
  'Haddad',
  'Ibrahim',
  'Jovanovic',
  'Klein',
  'Lindqvist',
  'Moreau',
  'Nielsen',
  'Olsen',
  'Park',
] as const;

/** the outside world: partners, free mail, newsletters; IPs are documentation ranges */
export const externalDomains = [
  { name: 'fabrikam.com', kind: 'partner', mx: 'mx1.fabrikam.com', ip: '198.51.100.25', w: 5 },
  { name: 'adatum.com', kind: 'partner', mx: 'mail.adatum.com', ip: '198.51.100.40', w: 4 },
  { name: 'northwindtraders.com', kind: 'partner', mx: 'smtp.northwindtraders.com', ip: '203.0.113.12', w: 3 },
  { name: 'tailspintoys.com', kind: 'partner', mx: 'mx.tailspintoys.com', ip: '203.0.113.45', w: 2 },
  { name: 'woodgrovebank.com', kind: 'partner', mx: 'mx01.woodgrovebank.com', ip: '198.51.100.77', w: 2 },
  { name: 'litwareinc.com', kind: 'partner', mx: 'mail.litwareinc.com', ip: '203.0.113.90', w: 1.5 },
  { name: 'gmail.com', kind: 'freemail', mx: 'gmail-smtp-in.l.google.com', ip: '203.0.113.27', w: 3 },
  { name: 'outlook.com', kind: 'freemail', mx: 'outlook-com.olc.protection.outlook.com', ip: '203.0.113.101', w: 2 },
  { name: 'news.proseware.com', kind: 'newsletter', mx: 'mta7.news.proseware.com', ip: '198.51.100.150', w: 2 },
  { name: 'email.wingtiptoys.com', kind: 'newsletter', mx: 'out3.email.wingtiptoys.com', ip: '198.51.100.180', w: 1.5 },
] as const;
export type ExternalDomain = (typeof externalDomains)[number];
export const contactsPerPartner = 6;

/** subjects; {n} {q} {month} {day} {name} are filled in. Commas and quotes on purpose. */
export const subjects = [
  'Re: Q{q} budget review',
  'FW: Invoice {n}, {month}',
  'Lunch on Friday?',
  'Re: "Project Phoenix" kickoff, agenda',
  'Meeting notes – {day}',
  'Re: Re: contract draft v{n}',
  'Updated: weekly status, team {n}',
  'Accepted: Design review',
  'Re: travel request, {month}',
  'Customer escalation #{n}',
  'FW: "Urgent" – server room access',
  'Re: slides for Thursday',
  'Out of office: back on Monday',
  'Re: Café order for the workshop',
  'Expense report {month}',
  'Re: Q{q} forecast, final numbers',
  'Proposal for {name}',
  'Re: onboarding checklist',
  'Quick question',
  'Re: "Hello, world" demo, feedback',
  'Minutes: all-hands {day}',
  'FW: purchase order PO-{n}',
  'Re: holiday schedule',
  'Security update, please read',
  'Re: Übersicht Projektplan',
  'Reminder: timesheets due',
  'Re: price list 2024, v{n}',
] as const;
export const inboundSubjects = [
  'Your order #{n} has shipped',
  'Re: quotation {n}, revised',
  'Invitation: partner summit {month}',
  'Newsletter – {month} edition',
  'Re: "Statement of work", comments',
  'Payment confirmation {n}',
  "Webinar: what's new in Q{q}",
  'Re: delivery schedule',
  'Your weekly digest',
  'Re: meeting next week?',
  'Invoice {n} from {name}',
  'Special offer, this week only',
  'Re: RFP response, questions',
] as const;
export const announcementSubjects = [
  'All-hands meeting, Friday {day}',
  'Office closed on {day}',
  'IT maintenance window, {day} 22:00–23:00 UTC',
  'Welcome our new colleagues',
  'Reminder: "Security awareness" training',
] as const;
export const months = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'] as const;

/** how people submit mail: Exchange 2010+ ClientType names and the share of messages */
export const clients = [
  { type2013: 'MOMT', type2010: 'User', w: 66 },
  { type2013: 'OWA', type2010: 'OWA', w: 14 },
  { type2013: 'AirSync', type2010: 'AirSync', w: 16 },
  { type2013: 'WebServices', type2010: 'WebServices', w: 4 },
] as const;
export type Client = (typeof clients)[number];
