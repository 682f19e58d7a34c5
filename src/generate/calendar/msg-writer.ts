// A small writer of Outlook .msg files (MS-OXMSG: an OLE compound file of MAPI properties) over
// the `cfb` package, for the calendar generator: a top-level message with fixed and variable-size
// properties and named properties (by property set and long id, or by name). Enough for what
// Get-CalendarDiagnosticLog writes; no recipients, attachments or embedded messages.
//   __properties_version1.0        32-byte header, then 16 bytes per property: tag, flags, value
//                                  (fixed size) or size (variable: the value is a stream of its own)
//   __substg1.0_TTTTtttt           a variable-size value (tag TTTT, type tttt)
//   __nameid_version1.0/           the named-property map: GUIDs (00020102), entries (00030102),
//                                  names (00040102); named property N gets the tag 0x8000 + N
import CFB from 'cfb';

export type PropType = 'unicode' | 'time' | 'int' | 'bool' | 'binary';
const TYPE: Record<PropType, number> = { unicode: 0x001f, time: 0x0040, int: 0x0003, bool: 0x000b, binary: 0x0102 };

export type PropValue = string | number | boolean | Buffer;

export interface Prop {
  /** a property id below 0x8000 (PidTag…) */
  id: number;
  type: PropType;
  value: PropValue;
}

export interface NamedProp {
  /** the property set's GUID, as text: 00062002-0000-0000-C000-000000000046 */
  set: string;
  /** a numeric name (long id, PidLid…) or a string name */
  name: number | string;
  type: PropType;
  value: PropValue;
}

const PS_MAPI = '00020328-0000-0000-C000-000000000046';
export const PS_PUBLIC_STRINGS = '00020329-0000-0000-C000-000000000046';

/** a GUID's 16 bytes as MS-DTYP writes them (the first three groups little-endian) */
function guidBytes(g: string): Buffer {
  const h = g.replace(/-/g, '');
  const b = Buffer.from(h, 'hex');
  const out = Buffer.alloc(16);
  out.writeUInt32LE(b.readUInt32BE(0), 0);
  out.writeUInt16LE(b.readUInt16BE(4), 4);
  out.writeUInt16LE(b.readUInt16BE(6), 6);
  b.copy(out, 8, 8, 16);
  return out;
}

/** ms since 1970 -> FILETIME (100 ns since 1601) */
export function fileTime(ms: number): bigint {
  return (BigInt(ms) + 11644473600000n) * 10000n;
}

const hex4 = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');

export function writeMsg(props: readonly Prop[], named: readonly NamedProp[] = []): Buffer {
  const cfb = CFB.utils.cfb_new();
  const add = (path: string, content: Buffer) => CFB.utils.cfb_add(cfb, path, content);

  // named properties: their GUIDs, entries and names; tags from 0x8000 on
  const guids: string[] = [];
  const entries: Buffer[] = [];
  const strings: Buffer[] = [];
  let stringBytes = 0;
  const all: Prop[] = [...props];
  named.forEach((n, i) => {
    const set = n.set.toUpperCase();
    let guidIndex: number;
    if (set === PS_MAPI) guidIndex = 1;
    else if (set === PS_PUBLIC_STRINGS) guidIndex = 2;
    else {
      let k = guids.indexOf(set);
      if (k < 0) k = guids.push(set) - 1;
      guidIndex = 3 + k;
    }
    const e = Buffer.alloc(8);
    if (typeof n.name === 'number') {
      e.writeUInt32LE(n.name, 0);
      e.writeUInt32LE(((i << 16) | (guidIndex << 1)) >>> 0, 4);
    } else {
      const name = Buffer.from(n.name, 'utf16le');
      const s = Buffer.alloc(4 + name.length + ((4 - ((4 + name.length) % 4)) % 4));
      s.writeUInt32LE(name.length, 0);
      name.copy(s, 4);
      e.writeUInt32LE(stringBytes, 0);
      e.writeUInt32LE(((i << 16) | (guidIndex << 1) | 1) >>> 0, 4);
      strings.push(s);
      stringBytes += s.length;
    }
    entries.push(e);
    all.push({ id: 0x8000 + i, type: n.type, value: n.value });
  });
  add('/__nameid_version1.0/__substg1.0_00020102', Buffer.concat(guids.map(guidBytes)));
  add('/__nameid_version1.0/__substg1.0_00030102', Buffer.concat(entries));
  add('/__nameid_version1.0/__substg1.0_00040102', Buffer.concat(strings));

  // the property stream: a 32-byte header for a top-level message, then one entry per property
  const stream = Buffer.alloc(32 + 16 * all.length);
  all.forEach((p, i) => {
    const at = 32 + 16 * i;
    const type = TYPE[p.type];
    stream.writeUInt32LE(((p.id << 16) | type) >>> 0, at);
    stream.writeUInt32LE(0x6, at + 4); // readable and writable
    switch (p.type) {
      case 'int':
        stream.writeInt32LE(Number(p.value), at + 8);
        break;
      case 'bool':
        stream.writeUInt16LE(p.value ? 1 : 0, at + 8);
        break;
      case 'time':
        stream.writeBigUInt64LE(fileTime(Number(p.value)), at + 8);
        break;
      case 'unicode': {
        const data = Buffer.from(`${String(p.value)}\0`, 'utf16le');
        stream.writeUInt32LE(data.length, at + 8);
        add(`/__substg1.0_${hex4(p.id)}${hex4(type)}`, data);
        break;
      }
      case 'binary': {
        const data = p.value as Buffer;
        stream.writeUInt32LE(data.length, at + 8);
        add(`/__substg1.0_${hex4(p.id)}${hex4(type)}`, data);
        break;
      }
    }
  });
  add('/__properties_version1.0', stream);
  CFB.utils.cfb_del(cfb, '/\u0001Sh33tJ5');
  return Buffer.from(CFB.write(cfb, { type: 'buffer' }) as Uint8Array);
}
