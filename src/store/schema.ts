// The tables mxray stores records in, described as data. Every backend creates its tables from
// these descriptions, and every format writes rows in exactly this column order (see ingest/tsv.ts).
// The first two columns of every record table are the file the row came from and the line it
// started on: (file_id, line) is what makes re-ingest and resume exact.

export type ColumnType = 'int' | 'bigint' | 'tinyint' | 'double' | 'text' | 'timestamp';

export interface Column {
  readonly name: string;
  readonly type: ColumnType;
  /** Stored lowercased (addresses compare case-insensitively); the backend applies it on load. */
  readonly lower?: boolean;
  readonly doc: string;
}

export interface RecordTable {
  readonly name: string;
  readonly doc: string;
  readonly columns: readonly Column[];
}

const origin: readonly Column[] = [
  { name: 'file_id', type: 'int', doc: 'ingested_files.id of the file the row came from' },
  { name: 'line', type: 'int', doc: 'line number (1-based) where the record starts in that file' },
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

/** Every record table; a format names the one it writes. Later capabilities add theirs here. */
export const recordTables = { tracking: trackingEvents } as const satisfies Record<string, RecordTable>;
export type RecordKind = keyof typeof recordTables;
