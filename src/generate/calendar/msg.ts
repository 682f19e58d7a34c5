// Versions written as Get-CalendarDiagnosticLog -LogLocation <dir>\<mailbox> writes them: one .msg
// file per logged version in a folder named after the mailbox, its properties those of
// formats/calendar-msg/properties.ts (the documented set), through msg-writer.ts.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { msgProperties } from '../../formats/calendar-msg/properties.js';
import { writeMsg, type NamedProp, type Prop, type PropValue } from './msg-writer.js';
import { clients, type Version } from './world.js';

/** the value of each column (and metadata) of a version, by the names properties.ts uses */
function values(v: Version): Record<string, PropValue | undefined> {
  return {
    item_class: v.itemClass,
    subject: v.subject,
    from_address: v.from,
    sent_representing: v.sentRepresenting,
    sent_representing_name: v.sentRepresentingName,
    folder: v.folder,
    start_time: v.start,
    end_time: v.end,
    location: v.location === '' ? undefined : v.location,
    attendees: v.attendees === '' ? undefined : v.attendees,
    appointment_state: v.state,
    response_type: v.responseType,
    sequence: v.sequence,
    recurring: v.recurring,
    meeting_id: Buffer.from(v.meetingId, 'hex'),
    exception: v.exception,
    meeting_request_type: v.meetingRequestType ?? undefined,
    trigger_action: v.action,
    created: v.created,
    modified: v.modified,
    responsible_user: v.responsibleUser === '' ? undefined : v.responsibleUser,
    client_info: clients[v.client].info,
    ModifyingService: v.client.startsWith('outlook') ? 'Microsoft.Exchange.RpcClientAccess.Service' : undefined,
    RespondingServer: 'EX01',
    ServerVersion: '14,01,0218,011',
    CalendarMailboxServer: 'EX01,corp.example',
    CalendarMailboxVersion: 'Version 14,1 (Build 218,0)',
    CalendarMailboxDN: 'cn=Microsoft Private MDB',
    item_version: v.itemVersion,
    log_time: v.logTime,
  };
}

export function versionMsg(v: Version): Buffer {
  const vals = values(v);
  const props: Prop[] = [];
  const named: NamedProp[] = [];
  for (const p of msgProperties) {
    const value = vals[p.column ?? p.extra ?? ''];
    if (value === undefined) continue;
    if (p.tag !== undefined) props.push({ id: p.tag, type: p.type, value });
    else named.push({ set: p.set!, name: p.name ?? p.lid!, type: p.type, value });
  }
  return writeMsg(props, named);
}

/** every version as a .msg file under DIR/<mailbox>/; returns the number of files */
export async function writeMsgExports(dir: string, vs: readonly Version[]): Promise<number> {
  const n = new Map<string, number>();
  for (const v of vs) {
    const folder = join(dir, v.mailbox);
    if (!n.has(v.mailbox)) mkdirSync(folder, { recursive: true });
    const i = (n.get(v.mailbox) ?? 0) + 1;
    n.set(v.mailbox, i);
    writeFileSync(join(folder, `${String(i).padStart(5, '0')}_${v.itemClass.replace(/[^A-Za-z0-9.]/g, '_')}.msg`), versionMsg(v));
  }
  return vs.length;
}
