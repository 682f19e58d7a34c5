// Exchange 2007–SE message tracking layouts and counting roles, as data. The parser maps columns
// from the file's own #Fields header; these lists are only used for files that lost their header
// (lines cut out of a log), where the field count says which generation wrote them.
import { Role } from '../../schema/tables.js';
import type { ColumnNames } from '../columns.js';

const v2007 = [
  'date-time',
  'client-ip',
  'client-hostname',
  'server-ip',
  'server-hostname',
  'source-context',
  'connector-id',
  'source',
  'event-id',
  'internal-message-id',
  'message-id',
  'recipient-address',
  'recipient-status',
  'total-bytes',
  'recipient-count',
  'related-recipient-address',
  'reference',
  'message-subject',
  'sender-address',
  'return-path',
  'message-info',
];
const v2010 = [...v2007, 'directionality', 'tenant-id', 'original-client-ip', 'original-server-ip', 'custom-data'];
const v2013 = [...v2010.slice(0, 11), 'network-message-id', ...v2010.slice(11)];
const v2016 = [...v2013, 'transport-traffic-type', 'log-id', 'schema-version'];

/** the header-less layouts, by field count */
export const knownLayouts: readonly { readonly generation: string; readonly names: readonly string[] }[] = [
  { generation: 'Exchange 2007', names: v2007 },
  { generation: 'Exchange 2010', names: v2010 },
  { generation: 'Exchange 2013', names: v2013 },
  { generation: 'Exchange 2013 CU+/2016/2019/SE', names: v2016 },
];

/** event-id + source pairs that count (spec tracking.md, "Counting rules"); every other pair is 0,
 *  including the shadow and duplicate copies (HARECEIVE, DUPLICATEDELIVER …) */
export const countingRoles: readonly { readonly event: string; readonly source: string; readonly role: number }[] = [
  { event: 'RECEIVE', source: 'STOREDRIVER', role: Role.Submit },
  { event: 'DELIVER', source: 'STOREDRIVER', role: Role.Deliver },
];

/** the header names of the values a row needs */
export const columns = {
  dateTime: 'date-time',
  server: 'server-hostname',
  event: 'event-id',
  source: 'source',
  messageId: 'message-id',
  internalId: 'internal-message-id',
  sender: 'sender-address',
  recipients: 'recipient-address',
  recipientCount: 'recipient-count',
  bytes: 'total-bytes',
  directionality: 'directionality',
  subject: 'message-subject',
  clientIp: 'client-ip',
} as const satisfies ColumnNames<string>;
