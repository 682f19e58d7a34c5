// Why a line (or record) of a log is not stored: a small closed set, so summaries, the store's
// reject examples and tests can rely on them. Every format reports its rejects with one of these.
/** Reasons a line (or a binary format's record) is rejected: a small closed set, so summaries and tests can rely on them. */
export const rejectReasons = {
  'field-count': 'the line does not have the number of fields its header declares',
  'bad-time': 'the date/time field is not a valid time',
  'bad-number': 'a numeric field (bytes, counts) is not a number',
  'unterminated-quote': 'a quoted field is not closed before the end of the line',
  binary: 'the line contains binary data (NUL or control bytes)',
  'too-long': 'the line is longer than the 1 MiB limit',
  'no-header': 'a data line came before any header and its layout cannot be inferred',
  'orphan-line': 'a continuation line without the entry it belongs to',
  malformed: 'the line does not match the format',
  truncated: 'the record is cut short: the file ends inside it (a file still being written, or cut off)',
} as const;
export type RejectReason = keyof typeof rejectReasons;
