// The one list of log formats. Sniffing, the ingest pipeline, the CLI's help and the tests all read
// this table; a new format is a folder under formats/ and one line here.
import type { Format } from './types.js';
import { calendarCsv } from './calendar-csv/calendar-csv.js';
import { calendarMsg } from './calendar-msg/calendar-msg.js';
import { iis } from './iis/iis.js';
import { msgtrk } from './msgtrk/msgtrk.js';
import { msgtrkExport } from './msgtrk-export/msgtrk-export.js';
import { msgtrk2003 } from './msgtrk2003/msgtrk2003.js';
import { msgtrk55 } from './msgtrk55/msgtrk55.js';
import { presenceLog } from './presence-log/presence-log.js';
import { evtx } from './evtx/evtx.js';
import { evtxCsv } from './evtx-csv/evtx-csv.js';
import { evtxXml } from './evtx-xml/evtx-xml.js';

export const formats = {
  'calendar-csv': calendarCsv,
  'calendar-msg': calendarMsg,
  iis,
  msgtrk,
  'msgtrk-export': msgtrkExport,
  msgtrk2003,
  msgtrk55,
  'presence-log': presenceLog,
  evtx,
  'evtx-csv': evtxCsv,
  'evtx-xml': evtxXml,
} satisfies Record<string, Format>;

export type FormatName = keyof typeof formats;
export const formatList: readonly Format[] = Object.values(formats);
