// The sources a rule reads, as data: for each, the field names the admin knows from the log the
// record came from (tracking's `event-id`, `total-bytes`; IIS's `cs-username`, `Log.Hb`; calendar's
// export columns …) and the store column each one is kept in (schema/tables.ts), with its type.
// Names match without regard to case. A source may resolve names of a family through a function
// (IIS `Log.<element>`; the coming `events` source's `%1…%n` and `Data.<Name>`), so a new source is
// one entry of `sources`. A name the log has but the store does not keep is an error naming it.
import { recordTables, type ColumnType, type RecordKind } from '../../schema/tables.js';
import { fn } from '../../sql/dialect.js';
import { ident, raw, sql, type Sql } from '../../sql/sql.js';

/** how a rule compares a field: as a number or as text (times are text 'YYYY-MM-DD HH:MM:SS.fff') */
export type FieldType = 'number' | 'text' | 'time';

export interface Field {
  /** the name as the log writes it (the canonical spelling shown in `rules check --fields`) */
  readonly name: string;
  /** the store column that keeps it */
  readonly column: string;
  readonly type: FieldType;
  readonly doc: string;
  /** an expression over the source's columns, for a field that is not a column of its own (`%1`,
   *  `Data.<Name>`); `column` is then only the key its value is read under */
  readonly expr?: Sql;
}

/** the field as SQL: its column, or its expression */
export function fieldSql(f: Field): Sql {
  return f.expr ?? ident(f.column);
}

export interface Source {
  readonly name: string;
  /** the record table the source's rows are in */
  readonly kind: RecordKind;
  readonly doc: string;
  /** the fields by their log names */
  readonly fields: readonly Field[];
  /** names the log has and the store does not keep: the reason, for the error */
  readonly dropped?: Readonly<Record<string, string>>;
  /** names of a family (Log.Hb), resolved by a function: a Field, a reason it is not kept, or undefined (no such name) */
  readonly resolve?: (name: string) => Field | { readonly notKept: string } | undefined;
  /** the column giving the record's time (window, threshold, aggregate buckets) */
  readonly time: string;
  /** the record's time column is text (calendar) rather than a timestamp */
  readonly timeIsText?: boolean;
  /** the family names, for `rules check --fields` */
  readonly families?: readonly string[];
}

function typeOf(t: ColumnType): FieldType {
  return t === 'text' ? 'text' : t === 'timestamp' ? 'time' : 'number';
}

/** fields from [log name, column, aliases?] with the column's type and doc from schema/tables.ts */
function fieldsOf(kind: RecordKind, list: readonly (readonly [string, string, ...string[]])[]): Field[] {
  const table = recordTables[kind];
  const out: Field[] = [];
  for (const [name, column, ...aliases] of list) {
    const c = table.columns.find((x) => x.name === column);
    if (!c) throw new Error(`rules source field ${name}: ${table.name} has no column ${column}`);
    for (const n of [name, ...aliases]) out.push({ name: n, column, type: typeOf(c.type), doc: c.doc });
  }
  return out;
}

const notKeptTracking = 'the ingest does not keep it (schema/tables.ts tracking_events)';

/** 2007+ tracking columns and the 2003 ones (the same names but for case, or named here as aliases) */
const tracking: Source = {
  name: 'tracking',
  kind: 'tracking',
  doc: 'Exchange message tracking logs, every generation (2007+ and 2003 column names)',
  time: 'ts',
  fields: fieldsOf('tracking', [
    ['date-time', 'ts', 'Time'],
    ['server-hostname', 'server'],
    ['event-id', 'event'],
    ['source', 'source'],
    ['message-id', 'message_id', 'Linked-MSGID'],
    ['internal-message-id', 'internal_id', 'MSGID'],
    ['sender-address', 'sender'],
    ['recipient-address', 'recipients'],
    ['recipient-count', 'recipient_count', 'Number-Recipients'],
    ['total-bytes', 'bytes'],
    ['directionality', 'directionality'],
    ['message-subject', 'subject'],
    ['client-ip', 'client_ip'],
  ]),
  dropped: Object.fromEntries(
    [
      'client-hostname',
      'server-ip',
      'source-context',
      'connector-id',
      'recipient-status',
      'related-recipient-address',
      'reference',
      'return-path',
      'message-info',
      'tenant-id',
      'original-client-ip',
      'original-server-ip',
      'custom-data',
      'Partner-Name',
      'Priority',
      'Recipient-Report-Status',
      'Origination-Time',
      'Encryption',
      'service-Version',
    ].map((n) => [n, notKeptTracking]),
  ),
};

/** the ActiveSync Log= elements the IIS ingest keeps, each in its column */
const logElements: Readonly<Record<string, string>> = {
  Hb: 'eas_heartbeat',
  Error: 'eas_errors',
  S: 'eas_status',
  St: 'eas_sync_type',
  V: 'eas_protocol',
  Pk: 'eas_policy_key',
  Pa: 'eas_policy_ack',
  Att: 'eas_attachments',
  Attb: 'eas_attachment_bytes',
  Ssp: 'eas_sharepoint_docs',
  Unc: 'eas_unc_files',
  Oof: 'eas_oof',
  DevModel: 'eas_device_model',
  DevOS: 'eas_device_os',
  PrxFrom: 'eas_front_end',
};

const iisFields = fieldsOf('iis', [
  ['date-time', 'ts', 'date', 'time'],
  ['s-computername', 'server'],
  ['s-sitename', 'site'],
  ['cs-method', 'method'],
  ['cs-uri-stem', 'uri_stem'],
  ['cs-uri-query', 'uri_query'],
  ['s-port', 'port'],
  ['cs-username', 'username'],
  ['c-ip', 'client_ip'],
  ['cs(User-Agent)', 'user_agent'],
  ['sc-status', 'status'],
  ['sc-substatus', 'substatus'],
  ['sc-win32-status', 'win32_status'],
  ['sc-bytes', 'sc_bytes'],
  ['cs-bytes', 'cs_bytes'],
  ['time-taken', 'time_taken'],
  ['s-ip', 'server_ip'],
  ['cs-host', 'host'],
  ['Cmd', 'eas_cmd'],
  ['User', 'eas_user'],
  ['DeviceId', 'eas_device_id'],
  ['DeviceType', 'eas_device_type'],
]);

const iis: Source = {
  name: 'iis',
  kind: 'iis',
  doc: 'IIS W3C logs (every request; ActiveSync query values and Log= elements by name)',
  time: 'ts',
  fields: iisFields,
  families: ['Log.<element>'],
  dropped: {
    'cs(Referer)': 'the ingest does not keep it (schema/tables.ts iis_requests)',
    'cs(Cookie)': 'the ingest does not keep it (schema/tables.ts iis_requests)',
  },
  resolve: (name) => {
    const m = /^log\.(.+)$/i.exec(name);
    if (!m) return undefined;
    const key = Object.keys(logElements).find((k) => k.toLowerCase() === m[1]!.toLowerCase());
    if (!key)
      return {
        notKept: `the Log= element ${m[1]} is not kept in a column of its own (kept: ${Object.keys(logElements)
          .map((k) => `Log.${k}`)
          .join(', ')})`,
      };
    const [f] = fieldsOf('iis', [[`Log.${key}`, logElements[key]!]]);
    return f;
  },
};

const calendar: Source = {
  name: 'calendar',
  kind: 'calendar',
  doc: 'Calendar diagnostic logs (Get-CalendarDiagnosticObjects export column names)',
  time: 'modified',
  timeIsText: true,
  fields: fieldsOf('calendar', [
    ['Mailbox', 'mailbox'],
    ['MailboxAddress', 'mailbox_address'],
    ['CleanGlobalObjectId', 'meeting_id'],
    ['OriginalLastModifiedTime', 'modified'],
    ['ItemVersion', 'item_version'],
    ['ItemClass', 'item_class'],
    ['LogTimestamp', 'log_time'],
    ['CreationTime', 'created'],
    ['CalendarLogTriggerAction', 'trigger_action'],
    ['ClientInfoString', 'client_info', 'LogClientInfoString'],
    ['ClientIntent', 'client_intent'],
    ['ResponsibleUserName', 'responsible_user', 'ResponsibleUser'],
    ['From', 'from_address', 'SenderEmailAddress'],
    ['SentRepresentingEmailAddress', 'sent_representing'],
    ['SentRepresentingDisplayName', 'sent_representing_name'],
    ['NormalizedSubject', 'subject', 'Subject'],
    ['StartTime', 'start_time'],
    ['EndTime', 'end_time'],
    ['Location', 'location'],
    ['DisplayAttendeesAll', 'attendees'],
    ['AppointmentState', 'appointment_state'],
    ['ResponseType', 'response_type'],
    ['MeetingRequestType', 'meeting_request_type'],
    ['CalendarItemType', 'item_type'],
    ['AppointmentRecurring', 'recurring'],
    ['IsCancelled', 'cancelled'],
    ['IsException', 'exception'],
    ['AppointmentSequenceNumber', 'sequence'],
    ['ParentDisplayName', 'folder'],
  ]),
};

const presence: Source = {
  name: 'presence',
  kind: 'presence',
  doc: 'Presence samples (the poller and imported daily logs)',
  time: 'ts',
  fields: fieldsOf('presence', [
    ['time', 'ts'],
    ['user', 'user'],
    ['username', 'username'],
    ['state', 'state'],
    ['raw', 'raw'],
    ['source', 'source'],
    ['pushed', 'pushed'],
  ]),
};

const probe: Source = {
  name: 'probe',
  kind: 'probe',
  doc: "Service monitoring probe results (mxray serve's monitor)",
  time: 'ts',
  fields: fieldsOf('probe', [
    ['time', 'ts'],
    ['host', 'host'],
    ['service', 'service'],
    ['instance', 'instance'],
    ['url', 'url'],
    ['status', 'status'],
    ['failure', 'failure'],
    ['durationMs', 'duration_ms', 'duration_ms'],
    ['connectMs', 'connect_ms', 'connect_ms'],
    ['tlsMs', 'tls_ms', 'tls_ms'],
    ['bannerMs', 'banner_ms', 'banner_ms'],
    ['certDaysLeft', 'cert_days', 'cert_days'],
    ['kind', 'kind'],
    ['detail', 'detail'],
  ]),
};

/** the insertion strings split at U+001F (schema/tables.ts windows_events) */
const splitData = (column: string, lower = false) =>
  fn((d) => {
    const c = lower ? d.lower(ident(column)) : ident(column);
    return d.name === 'duckdb' ? sql`string_split(${c}, chr(31))` : sql`splitByChar('\\x1F', assumeNotNull(${c}))`;
  });
/** the n-th (1-based) element of a split list, NULL when there is none (ClickHouse would give '') */
const nth = (list: Sql, n: Sql) =>
  fn((d) => (d.name === 'duckdb' ? sql`${list}[${n}]` : sql`if(${n} >= 1 AND ${n} <= length(${list}), arrayElement(${list}, ${n}), NULL)`));

/** Windows event logs: the System fields by their Windows names, the insertion strings as `%1`…`%n`
 *  (by position) and `Data.<Name>` (by name, any case) */
const events: Source = {
  name: 'events',
  kind: 'windowsEvents',
  doc: 'Windows event logs (.evtx): System fields by their Windows names, insertion strings as %1…%n and Data.<Name>',
  time: 'ts',
  fields: fieldsOf('windowsEvents', [
    ['TimeCreated', 'ts'],
    ['Computer', 'computer'],
    ['Channel', 'channel'],
    ['EventRecordID', 'event_record_id'],
    ['Provider', 'provider', 'ProviderName'],
    ['ProviderGuid', 'provider_guid'],
    ['EventSourceName', 'event_source'],
    ['EventID', 'event_id'],
    ['Qualifiers', 'qualifiers'],
    ['Version', 'version'],
    ['Level', 'level'],
    ['Task', 'task'],
    ['Opcode', 'opcode'],
    ['Keywords', 'keywords'],
    ['UserID', 'user_id'],
    ['ProcessID', 'process_id'],
    ['ThreadID', 'thread_id'],
    ['ActivityID', 'activity_id'],
    ['DataCount', 'data_count'],
    ['UserData', 'user_data'],
    ['Binary', 'binary_data'],
    ['Recovered', 'recovered'],
    ['Message', 'message'],
  ]),
  families: ['%<n>', 'Data.<Name>'],
  resolve: (name) => {
    const pos = /^%(\d+)$/.exec(name);
    if (pos) {
      const n = Number(pos[1]);
      if (n < 1) return { notKept: 'insertion strings are numbered from %1' };
      return {
        name: `%${n}`,
        column: `%${n}`,
        type: 'text',
        doc: `insertion string ${n} (EventData Data element ${n})`,
        expr: nth(splitData('data_values'), raw(String(n))),
      };
    }
    const byName = /^data\.(.+)$/i.exec(name);
    if (byName) {
      const key = byName[1]!;
      const at = fn((d) =>
        d.name === 'duckdb'
          ? sql`list_position(${splitData('data_names', true)}, ${key.toLowerCase()})`
          : sql`indexOf(${splitData('data_names', true)}, ${key.toLowerCase()})`,
      );
      return {
        name: `Data.${key}`,
        column: `data.${key.toLowerCase()}`,
        type: 'text',
        doc: `the insertion string named ${key} (EventData Data Name="${key}")`,
        expr: nth(splitData('data_values'), at),
      };
    }
    return undefined;
  },
};

/** every source rules may name; a later source is one more entry */
export const sources = { tracking, iis, calendar, presence, probe, events } as const satisfies Record<string, Source>;
export type SourceName = keyof typeof sources;
export const sourceNames = Object.keys(sources) as SourceName[];

export type Resolved = { readonly ok: true; readonly field: Field } | { readonly ok: false; readonly message: string };

/** a field of a source by a name in any case; the error says why it cannot be used */
export function resolveField(source: Source, name: string): Resolved {
  const lower = name.toLowerCase();
  const field = source.fields.find((f) => f.name.toLowerCase() === lower);
  if (field) return { ok: true, field };
  const dropped = Object.keys(source.dropped ?? {}).find((k) => k.toLowerCase() === lower);
  if (dropped) return { ok: false, message: `${source.name} field ${dropped} is not stored: ${source.dropped![dropped]}` };
  const r = source.resolve?.(name);
  if (r && 'notKept' in r) return { ok: false, message: `${source.name} field ${name} is not stored: ${r.notKept}` };
  if (r) return { ok: true, field: r };
  return { ok: false, message: `${source.name} has no field ${name}; its fields: ${fieldNames(source).join(', ')}` };
}

/** the canonical names (first spelling of each column) and the families */
export function fieldNames(source: Source): string[] {
  const seen = new Set<string>();
  const names: string[] = [];
  for (const f of source.fields) {
    if (seen.has(f.column)) continue;
    seen.add(f.column);
    names.push(f.name);
  }
  return [...names, ...(source.families ?? [])];
}
