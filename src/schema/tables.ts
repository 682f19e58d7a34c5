// The tables mxray stores records in, described as data. Every backend creates its tables from
// these descriptions, and every format writes rows in exactly this column order (see schema/tsv.ts).
// The first two columns of every record table are the file the row came from and the line it
// started on (for binary formats: the record's number in the file): (file_id, line) is what makes
// re-ingest and resume exact.

export type ColumnType = 'int' | 'bigint' | 'tinyint' | 'double' | 'text' | 'timestamp';

/** Whole numbers an integer column type holds in every store: int is DuckDB's INTEGER and
 *  ClickHouse's Int32; bigint BIGINT / Int64; tinyint DuckDB's UTINYINT
 *  and ClickHouse's Int8 share 0–127. The row writer stores a number outside them as NULL. */
export const intRanges = {
  int: [-2147483648, 2147483647],
  // the largest double below 2^63: a bigger one prints as a number Int64 cannot hold
  bigint: [-(2 ** 63), 2 ** 63 - 1024],
  tinyint: [0, 127],
} as const satisfies Partial<Record<ColumnType, readonly [number, number]>>;

export interface Column {
  readonly name: string;
  readonly type: ColumnType;
  /** Stored lowercased (addresses compare case-insensitively); the backend applies it on load. */
  readonly lower?: boolean;
  readonly doc: string;
  /** Set on every column added to a table once stores were sealed (the release that added it, e.g.
   *  '0.9'): rows stored before it lack it (NULL), so it counts in their row hash only where it is set
   *  (store/integrity/seal.ts, SCHEMA CHANGES), and their seals still hold. */
  readonly added?: string;
}

export interface RecordTable {
  readonly name: string;
  readonly doc: string;
  readonly columns: readonly Column[];
  /** Columns that identify one record across files (an event log record: computer, channel, record
   *  id), for logs whose files overlap (exports of the same log, a live log read again because its
   *  header changed as it grew). A store then keeps the first copy of each record: a batch's row
   *  whose key is already stored, or repeats an earlier row of the batch, is not inserted. Key
   *  columns are text or integers and never NULL (the row writer refuses \N there). Without it,
   *  rows are told apart by their origin (file_id, line) only. */
  readonly recordKey?: readonly string[];
}

/** the first two columns of every record table */
export const origin: readonly Column[] = [
  { name: 'file_id', type: 'int', doc: 'ingested_files.id of the file the row came from' },
  {
    name: 'line',
    type: 'int',
    doc: "line or record number (1-based) where the record starts in that file: the line for text logs, the record's position in the file for binary ones",
  },
];

/** Role bits of a tracking event, decided by the format from its generation's counting rules. */
export const Role = {
  /** the user in `sender` submitted this message (counts as sent once per message id) */
  Submit: 1,
  /** each address in `recipients` had this message delivered to its mailbox (counts as received) */
  Deliver: 2,
} as const;

export const trackingEvents: RecordTable = {
  name: 'tracking_events',
  doc: 'One row per message tracking log entry, of every Exchange generation.',
  columns: [
    ...origin,
    { name: 'ts', type: 'timestamp', doc: 'UTC time of the event, written as YYYY-MM-DD HH:MM:SS.fff' },
    { name: 'server', type: 'text', doc: 'server that logged the event (server-hostname), empty when the log does not say' },
    { name: 'event', type: 'text', doc: 'event id as logged: DELIVER, 1028, 4 …' },
    { name: 'source', type: 'text', doc: 'source component (2007+: STOREDRIVER, SMTP …), empty before 2007' },
    { name: 'role', type: 'tinyint', doc: 'Role bits: 1 submit (counts as sent), 2 deliver (counts as received), 0 neither' },
    { name: 'message_id', type: 'text', doc: 'key that is the same for one message on every server (message-id, Linked-MSGID, 5.5 message id); never empty' },
    { name: 'internal_id', type: 'text', doc: 'per-server id (internal-message-id, MSGID)' },
    { name: 'sender', type: 'text', lower: true, doc: 'sender address (5.5: originator DN)' },
    { name: 'recipients', type: 'text', lower: true, doc: 'recipient addresses joined with ";"' },
    { name: 'recipient_count', type: 'int', doc: 'number of recipients as logged' },
    { name: 'bytes', type: 'bigint', doc: 'message size in bytes' },
    { name: 'directionality', type: 'text', doc: 'Incoming / Originating / Undefined (2010+), empty before' },
    { name: 'subject', type: 'text', doc: 'message subject when logged' },
    { name: 'client_ip', type: 'text', doc: 'client-ip' },
  ],
};

/** IIS W3C requests (formats/iis). Every request is a row; the eas_* columns are NULL for requests
 *  that are not ActiveSync (cs-uri-stem not under /Microsoft-Server-ActiveSync). Text fields logged
 *  as `-` are empty text; numeric fields logged as `-`, and fields the file's #Fields header does not
 *  have, are NULL. The EAS columns are what the ActiveSync reports need per request (spec
 *  activesync.md: Export-ActiveSyncLog and ActiveSyncReport.ps1); everything else the Log= value
 *  carries is in eas_log, which activesync/decode.ts decodes. The Log= value is stored once: in
 *  eas_log, not also inside uri_query (it is half of a 2013+ back-end line, and every stored byte
 *  costs load time). */
export const iisRequests: RecordTable = {
  name: 'iis_requests',
  doc: 'One row per IIS W3C log line (every request; ActiveSync requests decoded into the eas_* columns).',
  columns: [
    ...origin,
    { name: 'ts', type: 'timestamp', doc: 'UTC time of the request (date + time), written as YYYY-MM-DD HH:MM:SS.fff' },
    { name: 'server', type: 'text', doc: 's-computername, else s-ip; empty when the log has neither' },
    { name: 'site', type: 'text', doc: 's-sitename (W3SVC1 …); empty when not logged' },
    { name: 'method', type: 'text', doc: 'cs-method' },
    { name: 'uri_stem', type: 'text', doc: 'cs-uri-stem as logged' },
    {
      name: 'uri_query',
      type: 'text',
      doc: 'cs-uri-query as logged (still URL-escaped; empty for -), except that for an ActiveSync request (eas_log not NULL) the value of its first Log= parameter is cut out and the parameter kept as `Log=`: that value is eas_log, stored once. Full query: uri_query with eas_log put back after that `Log=` (formats/iis/query.ts fullUriQuery, the one place that does it)',
    },
    { name: 'port', type: 'int', doc: 's-port' },
    { name: 'username', type: 'text', doc: 'cs-username, URL-decoded (%5C is \\, + is a space); empty for -' },
    { name: 'client_ip', type: 'text', doc: 'c-ip' },
    { name: 'user_agent', type: 'text', doc: 'cs(User-Agent), + turned into spaces and URL-decoded' },
    { name: 'status', type: 'int', doc: 'sc-status (HTTP status)' },
    { name: 'substatus', type: 'int', doc: 'sc-substatus' },
    { name: 'win32_status', type: 'bigint', doc: 'sc-win32-status (unsigned 32-bit, e.g. 2148074254)' },
    { name: 'sc_bytes', type: 'bigint', doc: 'sc-bytes: bytes the server sent' },
    { name: 'cs_bytes', type: 'bigint', doc: 'cs-bytes: bytes the client sent' },
    { name: 'time_taken', type: 'int', doc: 'time-taken, milliseconds' },
    {
      name: 'eas_cmd',
      type: 'text',
      doc: 'ActiveSync command (Cmd=, or the command code of a base64-encoded query); empty when the request names none (OPTIONS)',
    },
    { name: 'eas_user', type: 'text', lower: true, doc: 'cs-username, or the User= query value when cs-username is empty' },
    { name: 'eas_device_id', type: 'text', doc: 'DeviceId= (base64 queries: the device ID, upper-case hex when binary)' },
    { name: 'eas_device_type', type: 'text', doc: 'DeviceType=' },
    { name: 'eas_protocol', type: 'text', doc: 'protocol version 14.1 …: from a base64 query, else the Log V element; empty when unknown' },
    { name: 'eas_backend', type: 'int', doc: '1 for a back-end line (/Microsoft-Server-ActiveSync/Proxy/…, 2013+), 0 front end: count one of the two' },
    {
      name: 'eas_log',
      type: 'text',
      doc: "the Log= value as logged (raw, URL-escaped; the value of the query's first Log parameter, any case, up to the next &), cut out of uri_query; empty when the query has none",
    },
    { name: 'eas_status', type: 'int', doc: "Log S: the command's EAS status (1 success, 101–184 common errors)" },
    { name: 'eas_errors', type: 'text', doc: 'Log Error: values, URL-decoded, joined with ";"' },
    {
      name: 'eas_sync_type',
      type: 'text',
      doc: 'sync types of a Sync, distinct, joined with ";" in collection order: F first, S subsequent, R recovery, I invalid (St:, or the 2003 S)',
    },
    {
      name: 'eas_folder_types',
      type: 'text',
      doc: 'collection types of the request, distinct, joined with ";": Em;Ca (Em email, Co contacts, Ca calendar, Ta tasks, Nt notes)',
    },
    { name: 'eas_heartbeat', type: 'int', doc: 'Log Hb: heartbeat interval of a Ping, seconds' },
    { name: 'eas_client_adds', type: 'int', doc: 'items the device added (Cli: a, summed over collections); NULL when the Log has no Cli:' },
    { name: 'eas_client_changes', type: 'int', doc: 'items the device changed (Cli: c)' },
    { name: 'eas_client_deletes', type: 'int', doc: 'items the device deleted (Cli: d)' },
    { name: 'eas_client_fetches', type: 'int', doc: 'items the device fetched (Cli: f)' },
    {
      name: 'eas_server_adds',
      type: 'int',
      doc: 'items the server sent to the device as adds (Srv: a, summed over collections); NULL when the Log has no Srv:',
    },
    { name: 'eas_server_changes', type: 'int', doc: 'items the server sent as changes (Srv: c)' },
    { name: 'eas_server_deletes', type: 'int', doc: 'deletes the server sent (Srv: d; soft-deletes are not counted)' },
    { name: 'eas_policy_key', type: 'bigint', doc: 'Log Pk: policy key the device sent (base64 queries: their policy key)' },
    { name: 'eas_policy_ack', type: 'int', doc: 'Log Pa: 1 policy applied, 2 partially, 3 failed, 0 unknown (Provision)' },
    { name: 'eas_attachments', type: 'int', doc: 'Log Att: attachments downloaded' },
    { name: 'eas_attachment_bytes', type: 'bigint', doc: 'Log Attb: bytes of attachments downloaded' },
    { name: 'eas_sharepoint_docs', type: 'int', doc: 'Log Ssp: SharePoint documents accessed' },
    { name: 'eas_unc_files', type: 'int', doc: 'Log Unc: UNC files accessed' },
    { name: 'eas_oof', type: 'text', doc: 'Log Oof: Get or Set (Out of Office read or set by the device)' },
    { name: 'eas_device_model', type: 'text', doc: 'Log DevModel (Settings), URL-decoded' },
    { name: 'eas_device_os', type: 'text', doc: 'Log DevOS (Settings), URL-decoded' },
    {
      name: 'eas_front_end',
      type: 'text',
      doc: "back-end lines: the address of the front end that proxied the request (Log PrxFrom, else c-ip), in the normal form of activesync/address.ts (lower case, no IPv6 zone); a loopback address is replaced by the line's own s-ip (the same host); empty on front-end lines",
    },
    { name: 'server_ip', type: 'text', doc: 's-ip as logged; empty when the log has none' },
    { name: 'host', type: 'text', doc: 'cs-host (the host name the client asked for); empty when not logged' },
  ],
};

/** Calendar diagnostic logs (formats/calendar-csv, formats/calendar-msg): one row per logged
 *  version of a calendar item or meeting message, from Get-CalendarDiagnosticObjects or
 *  Get-CalendarDiagnosticAnalysis CSV exports or Get-CalendarDiagnosticLog .msg files (specs
 *  calendar.md). Times are text 'YYYY-MM-DD HH:MM:SS.fff' (UTC as exported; text sorts as time and
 *  may be NULL, and `modified` is part of the record key, which a timestamp column cannot be).
 *  Codes (appointment_state, response_type, meeting_request_type) are stored as numbers; the
 *  capability shows their names (capabilities/calendar/codes.ts). */
export const calendarVersions: RecordTable = {
  name: 'calendar_versions',
  doc: 'One row per logged version of a calendar item or meeting message (calendar diagnostic logs).',
  columns: [
    ...origin,
    {
      name: 'mailbox',
      type: 'text',
      lower: true,
      doc: "the mailbox the version was logged in, as its short name (the SMTP address before @, at most 20 characters, as CSS-Exchange names its files); '' when unknown",
    },
    { name: 'mailbox_address', type: 'text', lower: true, doc: "the mailbox's full address where the row itself shows it (the organizer's own copy)" },
    { name: 'mailbox_from', type: 'text', doc: "how the mailbox was found: 'data', 'file-name', 'option' (--mailbox at ingest), or '' (unknown)" },
    { name: 'meeting_id', type: 'text', doc: "CleanGlobalObjectId, upper-case hex (040000008200E000…); '' when not exported" },
    { name: 'modified', type: 'text', doc: 'OriginalLastModifiedTime (the sort key), YYYY-MM-DD HH:MM:SS.fff' },
    { name: 'item_version', type: 'int', doc: 'ItemVersion; 0 when not exported' },
    { name: 'item_class', type: 'text', doc: "ItemClass: IPM.Appointment, IPM.Schedule.Meeting.Request …; '' when not exported" },
    { name: 'log_time', type: 'text', doc: 'LogTimestamp (Analysis: Local Log Time), YYYY-MM-DD HH:MM:SS.fff' },
    { name: 'created', type: 'text', doc: "CreationTime of the item (the seed's landmark to match one item across mailboxes)" },
    { name: 'trigger_action', type: 'text', doc: 'CalendarLogTriggerAction: Create, Update, MoveToDeletedItems, SoftDelete, HardDelete …' },
    { name: 'client_info', type: 'text', doc: 'ClientInfoString (or LogClientInfoString; .msg: the client-server-service value)' },
    { name: 'client_intent', type: 'text', doc: 'ClientIntent' },
    { name: 'responsible_user', type: 'text', doc: 'ResponsibleUserName (.msg: the requesting user), a legacy DN as a rule' },
    { name: 'from_address', type: 'text', lower: true, doc: 'From / SenderEmailAddress' },
    { name: 'sent_representing', type: 'text', lower: true, doc: 'SentRepresentingEmailAddress (whom the sender acted for)' },
    { name: 'sent_representing_name', type: 'text', doc: 'SentRepresentingDisplayName' },
    { name: 'subject', type: 'text', doc: 'NormalizedSubject (or Subject)' },
    { name: 'start_time', type: 'text', doc: 'StartTime, YYYY-MM-DD HH:MM:SS.fff' },
    { name: 'end_time', type: 'text', doc: 'EndTime, YYYY-MM-DD HH:MM:SS.fff' },
    { name: 'location', type: 'text', doc: 'Location' },
    { name: 'attendees', type: 'text', doc: 'DisplayAttendeesAll' },
    { name: 'appointment_state', type: 'int', doc: 'AppointmentState bits: 1 meeting, 2 received, 4 cancelled, 8 forwarded' },
    { name: 'response_type', type: 'int', doc: 'ResponseType: 0 none, 1 organizer, 2 tentative, 3 accepted, 4 declined, 5 not responded' },
    { name: 'meeting_request_type', type: 'int', doc: 'MeetingRequestType: 1 request, 65536 full update … 1048576 delegate-forwarded copy' },
    { name: 'item_type', type: 'text', doc: 'CalendarItemType: Single, RecurringMaster, Occurrence, Exception' },
    { name: 'recurring', type: 'tinyint', doc: 'AppointmentRecurring: 1 true, 0 false' },
    { name: 'cancelled', type: 'tinyint', doc: 'IsCancelled: 1 true, 0 false' },
    { name: 'exception', type: 'tinyint', doc: 'IsException: 1 true, 0 false' },
    { name: 'sequence', type: 'int', doc: 'AppointmentSequenceNumber' },
    { name: 'folder', type: 'text', doc: 'ParentDisplayName (Calendar, Inbox, Sent Items, Deleted Items …)' },
    { name: 'extra', type: 'text', doc: 'every other exported column (or .msg metadata) as a JSON object {"Name": "value"}' },
  ],
  // one logged version is one row whatever carried it (a CSV export, a .msg file, the same export
  // ingested twice): the mailbox it was logged in, the meeting, the time and version of the change,
  // and the item class (a calendar item and a meeting message may change in the same millisecond)
  recordKey: ['mailbox', 'meeting_id', 'modified', 'item_version', 'item_class'],
};

/** Presence samples (capabilities/presence, formats/presence-log): one row per sample of one user's
 *  presence, from the poller (recorder.ts) or from the seed's daily log files. A sample is its user
 *  and second: the poller's own log imported after the poller stored the same samples adds nothing. */
export const presenceSamples: RecordTable = {
  name: 'presence_samples',
  doc: "One row per presence sample of one user (the poller's cycles, changes pushed between them, imported daily logs).",
  columns: [
    ...origin,
    { name: 'user', type: 'text', lower: true, doc: 'the IM address, lower case, without a scheme (alice@example.org)' },
    { name: 'username', type: 'text', doc: 'the account name as the directory (or the log) gives it' },
    { name: 'ts', type: 'timestamp', doc: 'UTC time of the sample' },
    { name: 'ts_s', type: 'bigint', doc: 'the same time as seconds since 1970 (UTC): the record key and the duration arithmetic' },
    { name: 'state', type: 'text', doc: 'the state (capabilities/presence/types.ts presenceStates): online, busy, away … unknown' },
    { name: 'raw', type: 'text', doc: "the source's own value: the seed's number (2, 34, 256 …), XMPP show/type, Graph availability/activity" },
    { name: 'source', type: 'text', doc: 'xmpp, graph, log (an imported daily log) …' },
    { name: 'pushed', type: 'tinyint', doc: '1: a change the source pushed between samples; 0: a cycle sample' },
    {
      name: 'interval_s',
      type: 'int',
      doc: "the sampling interval in seconds: the poller's configured one; for imported logs the median gap of the user's samples in the file so far (NULL for a user's first sample in a file)",
    },
  ],
  recordKey: ['user', 'ts_s'],
};

/** How long each sample's state lasted (capabilities/presence/spans.ts), cut at every quarter hour
 *  (UTC), so a piece lies inside one local day of every time zone (their offsets are whole quarter
 *  hours). Written when the sample's successor is known (the poller's next cycle, or the after-ingest
 *  step of imported logs); the last sample of each user has no piece yet: reports give it one
 *  interval. Time no piece covers is unknown. Both stores report from these rows. */
export const presenceSpans: RecordTable = {
  name: 'presence_spans',
  doc: 'Pieces (at most 15 minutes, cut at quarter hours UTC) of the time a sampled presence state lasted.',
  columns: [
    ...origin,
    { name: 'user', type: 'text', lower: true, doc: 'the IM address, lower case' },
    { name: 'start_s', type: 'bigint', doc: 'start of the piece, seconds since 1970 UTC' },
    { name: 'seconds', type: 'int', doc: 'length of the piece in seconds (1–900)' },
    { name: 'state', type: 'text', doc: 'the state the sample had' },
  ],
  recordKey: ['user', 'start_s'],
};

/** The poller's own heartbeat: when it ran. Time it was not running is unknown, never offline. */
export const presenceHeartbeats: RecordTable = {
  name: 'presence_heartbeats',
  doc: 'One row per cycle (or start and stop) of the presence poller: when it was running.',
  columns: [
    ...origin,
    { name: 'ts', type: 'timestamp', doc: 'UTC time' },
    { name: 'ts_s', type: 'bigint', doc: 'the same as seconds since 1970' },
    { name: 'event', type: 'text', doc: 'start, cycle (samples recorded), alive (running, no samples), stop' },
    { name: 'interval_s', type: 'int', doc: 'the configured interval in seconds' },
    { name: 'users', type: 'int', doc: 'users sampled in the cycle (0 for the other events)' },
  ],
};

/** Aggregate-only mode (recorder.ts): per user and day the seconds in each state, and nothing else.
 *  A user-day may have several rows (a day written in parts, at each restart): reports add them up. */
export const presenceDaily: RecordTable = {
  name: 'presence_daily',
  doc: 'Aggregate-only presence: seconds per user, day and state (no per-sample history).',
  columns: [
    ...origin,
    { name: 'user', type: 'text', lower: true, doc: 'the IM address, lower case' },
    { name: 'day', type: 'text', doc: "the day, YYYY-MM-DD, in the recorder's time zone (UTC unless it was given one)" },
    { name: 'tz', type: 'text', doc: 'that time zone' },
    { name: 'state', type: 'text', doc: 'the state' },
    { name: 'seconds', type: 'bigint', doc: 'seconds in that state on that day' },
  ],
};

/** the seconds in each presence state over an hour or a day, and the first and last online second:
 *  the columns presence_hours and presence_days share */
function stateTotals(span: 'hour' | 'day'): Column[] {
  return [
    { name: 'online', type: 'int', doc: `seconds online in the ${span}` },
    { name: 'invisible', type: 'int', doc: 'seconds invisible' },
    { name: 'busy', type: 'int', doc: 'seconds busy' },
    { name: 'be_right_back', type: 'int', doc: 'seconds be right back' },
    { name: 'idle', type: 'int', doc: 'seconds idle' },
    { name: 'away', type: 'int', doc: 'seconds away' },
    { name: 'on_the_phone', type: 'int', doc: 'seconds on the phone' },
    { name: 'out_to_lunch', type: 'int', doc: 'seconds out to lunch' },
    { name: 'offline', type: 'int', doc: 'seconds offline' },
    { name: 'unknown', type: 'int', doc: 'seconds of pieces in the unknown state (or a state no longer known)' },
    { name: 'first_online_s', type: 'bigint', doc: `start of the first online piece in the ${span}; NULL when none` },
    { name: 'last_online_s', type: 'bigint', doc: `end of the last online piece in the ${span}; NULL when none` },
  ];
}

/** Hourly totals of presence_spans (capabilities/presence/hours.ts): per user and UTC hour the seconds
 *  in each state and the first and last online second, written with the pieces they add up (the
 *  recorder: in the same batch; the import: from the pieces the store kept, so a re-import adds
 *  nothing). A user-hour may have several rows (written in parts): reports add them up. Reports of
 *  whole hours read these instead of the pieces (a month of 20,000 users: 14 M rows, not 58 M). */
export const presenceHours: RecordTable = {
  name: 'presence_hours',
  doc: 'Per user and UTC hour: seconds in each presence state (sums of presence_spans), first and last online second.',
  columns: [
    ...origin,
    { name: 'user', type: 'text', lower: true, doc: 'the IM address, lower case' },
    { name: 'hour_s', type: 'bigint', doc: 'start of the UTC hour, seconds since 1970' },
    ...stateTotals('hour'),
  ],
};

/** Daily totals of presence_spans (capabilities/presence/hours.ts): per user and UTC day the same
 *  columns as presence_hours, written in the same batch as the hourly totals they add up (recorder
 *  and import), plus each user's latest sample known when the row was written (tail_*: the sample
 *  whose piece is not stored yet). A user-day may have several rows (written in parts): reports add
 *  them up. The poller's rows (pseudo-file live:presence-days) become one per user and day once the
 *  day is over (capabilities/presence/recorder.ts). Reports of UTC days read these (a month of 20,000 users: 600,000 user-days) when
 *  presence_marks says they are complete. */
export const presenceDays: RecordTable = {
  name: 'presence_days',
  doc: 'Per user and UTC day: seconds in each presence state (sums of presence_spans), first and last online second, latest sample.',
  columns: [
    ...origin,
    { name: 'user', type: 'text', lower: true, doc: 'the IM address, lower case' },
    { name: 'day_s', type: 'bigint', doc: 'start of the UTC day, seconds since 1970' },
    ...stateTotals('day'),
    { name: 'tail_s', type: 'bigint', doc: "time of the user's latest sample the writer knew (no piece yet); NULL when the row carries none" },
    { name: 'tail_state', type: 'text', doc: "that sample's state" },
    { name: 'tail_interval_s', type: 'int', doc: "that sample's interval_s" },
  ],
};

/** Completeness marks of presence_days (capabilities/presence/marks.ts): `epoch` (the store has been
 *  written by an mxray that keeps daily totals), `legacy` (pieces stored before that, with their
 *  range), `open`/`close` (an import's pieces written / their totals written, per chunk). A report
 *  reads the daily totals only where no legacy range and no open chunk without its close overlaps. */
export const presenceMarks: RecordTable = {
  name: 'presence_marks',
  doc: 'Completeness marks of the presence daily totals: epoch, legacy ranges, and open/close pairs of import chunks.',
  columns: [
    ...origin,
    { name: 'kind', type: 'text', doc: 'epoch, legacy, open or close' },
    { name: 'chunk', type: 'text', doc: "an import chunk's id (open and close share it); '' otherwise" },
    { name: 'lo_s', type: 'bigint', doc: 'first piece start covered, seconds since 1970 UTC' },
    { name: 'hi_s', type: 'bigint', doc: 'last piece start covered' },
  ],
};

/** Service monitoring (capabilities/monitor): one row per probe of one instance, written by the
 *  monitor in `mxray serve` through LiveLog (source live:monitor). Repair runs are rows too: status
 *  is the re-probe's, detail says what the repair command did. */
export const probeResults: RecordTable = {
  name: 'probe_results',
  doc: 'One row per probe of a monitored instance (mxray serve), and per repair attempt.',
  columns: [
    ...origin,
    { name: 'ts', type: 'timestamp', doc: 'UTC time the probe started' },
    { name: 'host', type: 'text', doc: 'the host as the config names it' },
    { name: 'service', type: 'text', doc: 'the service (SMTP, IMAP …)' },
    { name: 'instance', type: 'text', doc: "the instance's name (default address:port)" },
    { name: 'url', type: 'text', doc: 'the URL probed, without credentials' },
    { name: 'status', type: 'text', doc: 'ok, warning, critical or unknown' },
    { name: 'failure', type: 'text', doc: "the failure code (refused, timeout, tls, certificate, banner, expect, auth …); '' when none" },
    { name: 'duration_ms', type: 'double', doc: 'the whole probe, milliseconds' },
    { name: 'connect_ms', type: 'double', doc: 'milliseconds to the connection; NULL when not reached' },
    { name: 'tls_ms', type: 'double', doc: 'milliseconds to the end of the TLS handshake; NULL when none' },
    { name: 'banner_ms', type: 'double', doc: 'milliseconds to the greeting; NULL when none' },
    { name: 'cert_days', type: 'double', doc: "days left on the server's certificate; NULL without TLS" },
    { name: 'kind', type: 'text', doc: "'probe' for a scheduled probe, 'repair' for the re-probe after a repair command" },
    { name: 'detail', type: 'text', doc: 'one line: what was seen or what went wrong (for a repair: what the command did, then the re-probe)' },
    { name: 'transcript', type: 'text', doc: "the conversation of a failed probe, one `C: …`/`S: …` line each; '' when OK" },
  ],
};

/** Windows event log records (formats/evtx): one row per event of an .evtx file. The insertion
 *  strings (%1…%n, the EventData Data elements in order) are in data_values, joined by the unit
 *  separator U+001F (chr(31)), with their Name attributes at the same positions in data_names
 *  ('' where unnamed) and their number in data_count (0: none; 1 with data_values '' is one empty
 *  string). By position: DuckDB string_split(data_values, chr(31))[n], ClickHouse
 *  splitByChar('\x1F', data_values)[n]; by name: the position of the name in data_names
 *  (list_position / indexOf). A record is its computer, channel and EventRecordID: overlapping
 *  exports of one log, or a live log read again after its header changed, add each event once. */
export const windowsEvents: RecordTable = {
  name: 'windows_events',
  doc: 'One row per Windows event log record (.evtx): System fields, insertion strings by position and name, UserData as JSON.',
  columns: [
    ...origin,
    { name: 'ts', type: 'timestamp', doc: 'TimeCreated SystemTime (UTC), YYYY-MM-DD HH:MM:SS.fff; NULL when the event has none' },
    { name: 'computer', type: 'text', doc: 'Computer: the host that logged the event, as logged' },
    { name: 'channel', type: 'text', doc: 'Channel: Application, Security, System, MSExchange Management …' },
    { name: 'event_record_id', type: 'bigint', doc: "EventRecordID: the record's number in its channel on that computer" },
    { name: 'provider', type: 'text', doc: 'Provider Name (the event source)' },
    { name: 'provider_guid', type: 'text', doc: "Provider Guid, {upper-case}; '' for classic sources" },
    { name: 'event_source', type: 'text', doc: "Provider EventSourceName; '' when not logged" },
    { name: 'event_id', type: 'int', doc: 'EventID (without the qualifiers)' },
    { name: 'qualifiers', type: 'int', doc: 'EventID Qualifiers (classic sources); NULL when none' },
    { name: 'version', type: 'int', doc: 'Version' },
    { name: 'level', type: 'int', doc: 'Level: 1 critical, 2 error, 3 warning, 4 information (0 also information), 5 verbose' },
    { name: 'task', type: 'int', doc: 'Task' },
    { name: 'opcode', type: 'int', doc: 'Opcode' },
    { name: 'keywords', type: 'text', doc: 'Keywords as logged, 0x and 16 hex digits' },
    { name: 'user_id', type: 'text', doc: "Security UserID, a SID (S-1-5-18 …); '' when none" },
    { name: 'process_id', type: 'bigint', doc: 'Execution ProcessID' },
    { name: 'thread_id', type: 'bigint', doc: 'Execution ThreadID' },
    { name: 'activity_id', type: 'text', doc: "Correlation ActivityID; '' when none" },
    { name: 'data_count', type: 'int', doc: 'number of insertion strings (EventData Data elements; an array value counts each item)' },
    { name: 'data_values', type: 'text', doc: 'the insertion strings in order, joined by U+001F (a U+001F inside a value becomes a space)' },
    { name: 'data_names', type: 'text', doc: "their Name attributes at the same positions, joined by U+001F; '' where unnamed" },
    { name: 'user_data', type: 'text', doc: 'UserData as JSON (elements by name, attributes as "@Name", repeated elements as arrays); NULL when none' },
    { name: 'binary_data', type: 'text', doc: 'EventData Binary, upper-case hex; NULL when none' },
    {
      name: 'recovered',
      type: 'tinyint',
      doc: '1: found by searching (behind a broken record, or in the slack space of a chunk), not in the live record chain',
    },
    {
      name: 'message',
      type: 'text',
      doc: 'the rendered message text, where the source has it (Get-WinEvent | Export-Csv: Message); NULL from .evtx, which holds only the insertion strings',
    },
  ],
  recordKey: ['computer', 'channel', 'event_record_id'],
};

/** Rules (capabilities/rules): one row per fired alert, with the record that fired it, written by
 *  `rules run` and `mxray serve` through LiveLog (source live:rules), in one batch with the cursor. */
export const ruleAlerts: RecordTable = {
  name: 'rule_alerts',
  doc: 'One row per alert a rule fired, with the record that caused it and what its actions did.',
  columns: [
    ...origin,
    { name: 'ts', type: 'timestamp', doc: 'UTC time the rule fired (the engine clock)' },
    { name: 'rule_set', type: 'text', doc: 'the rules file (or mxray.yaml) the rule came from, as named to the command' },
    { name: 'rule', type: 'text', doc: 'the rule name' },
    { name: 'source', type: 'text', doc: 'tracking, iis, calendar, presence, probe …' },
    { name: 'record_time', type: 'text', doc: "the record's time, YYYY-MM-DD HH:MM:SS UTC (aggregate rules: the bucket); '' when it has none" },
    { name: 'record_file_id', type: 'int', doc: 'ingested_files.id of the record; NULL for aggregate rules' },
    { name: 'record_line', type: 'int', doc: "the record's line in that file; NULL for aggregate rules" },
    { name: 'record_file', type: 'text', doc: "the record's file path; '' for aggregate rules" },
    { name: 'record', type: 'text', doc: 'the record as a JSON object, by the log field names' },
    { name: 'matches', type: 'int', doc: 'matches counted in the threshold period when it fired (1 without a threshold)' },
    { name: 'actions', type: 'text', doc: 'what the actions did: JSON list of {action, ok, detail}' },
  ],
};

/** Rules: where `rules run` stopped, per rule set: one row per run (the last one counts). */
export const rulesCursor: RecordTable = {
  name: 'rules_cursor',
  doc: 'Where `rules run` stopped for each rule set: per file the next line to evaluate, thresholds, aggregate marks.',
  columns: [
    ...origin,
    { name: 'ts', type: 'timestamp', doc: 'UTC time of the run' },
    { name: 'rule_set', type: 'text', doc: 'the rule set, as in rule_alerts' },
    { name: 'state', type: 'text', doc: 'JSON: {files: {fileId: nextLine}, thresholds: {rule: …}, aggregates: {rule: lastBucket}}' },
  ],
};

/** Every record table; a format names the ones it writes. Later capabilities add theirs here. */
export const recordTables = {
  tracking: trackingEvents,
  iis: iisRequests,
  calendar: calendarVersions,
  presence: presenceSamples,
  presenceSpans,
  presenceHeartbeats,
  presenceDaily,
  probe: probeResults,
  presenceHours,
  windowsEvents,
  ruleAlerts,
  rulesCursor,
  presenceDays,
  presenceMarks,
} as const satisfies Record<string, RecordTable>;
export type RecordKind = keyof typeof recordTables;

/** a table's record key (none: empty), checked against its columns: a key is made of text and
 *  integer columns, which every store compares exactly */
export function recordKeyColumns(t: RecordTable): readonly string[] {
  const key = t.recordKey ?? [];
  for (const k of key) {
    const c = t.columns.find((x) => x.name === k);
    if (!c) throw new Error(`record key of ${t.name}: no column ${k}`);
    if (c.type === 'timestamp' || c.type === 'double')
      throw new Error(`record key of ${t.name}: ${k} is a ${c.type} column (a key is made of text and integer columns)`);
  }
  return key;
}
