// One event from a record's Binary XML: the System fields, the EventData insertion strings in
// order (with their Name attributes where the event names them) and UserData as JSON. The walk
// follows the rendered XML without building it: template trees are walked with the instance's
// values, and a BinXml value (type 0x21: EventData/UserData of most events) is parsed in place and
// walked as if it stood there.
import type { ChunkXml, Content, Elem, Values } from './binxml.js';
import { arrayItems, EvtxError, fileTimeMs, valueText } from './values.js';

export interface EvtxEvent {
  provider: string;
  providerGuid: string;
  eventSourceName: string;
  eventId: string;
  qualifiers: string;
  version: string;
  level: string;
  task: string;
  opcode: string;
  keywords: string;
  /** TimeCreated SystemTime as ms since 1970 (NaN: none) */
  timeCreatedMs: number;
  eventRecordId: string;
  activityId: string;
  processId: string;
  threadId: string;
  channel: string;
  computer: string;
  userId: string;
  /** EventData/Data values in order (%1 … %n) */
  dataValues: string[];
  /** their Name attributes ('' where unnamed) */
  dataNames: string[];
  /** EventData/Binary as hex ('' when none) */
  binary: string;
  /** UserData as JSON text ('' when none) */
  userData: string;
}

export function emptyEvent(): EvtxEvent {
  return {
    provider: '',
    providerGuid: '',
    eventSourceName: '',
    eventId: '',
    qualifiers: '',
    version: '',
    level: '',
    task: '',
    opcode: '',
    keywords: '',
    timeCreatedMs: Number.NaN,
    eventRecordId: '',
    activityId: '',
    processId: '',
    threadId: '',
    channel: '',
    computer: '',
    userId: '',
    dataValues: [],
    dataNames: [],
    binary: '',
    userData: '',
  };
}

const BINXML = 0x21;

/** Extracts events of one chunk (it keeps the chunk's Binary XML reader for embedded values). */
export class EventWalker {
  private ev: EvtxEvent = emptyEvent();
  constructor(private readonly xml: ChunkXml) {}

  event(content: readonly Content[]): EvtxEvent {
    this.ev = emptyEvent();
    this.top(content, NO_VALUES);
    return this.ev;
  }

  /** call f with each element of `content`, following instances and embedded BinXml values */
  private each(content: readonly Content[], vals: Values, f: (e: Elem, vals: Values) => void): void {
    for (const c of content) {
      if (typeof c === 'string') continue;
      if (c.k === 0) f(c, vals);
      else if (c.k === 2) this.each(c.body, c.values, f);
      else if (c.index < vals.type.length && vals.type[c.index] === BINXML && vals.size[c.index]! > 0) {
        const off = vals.off[c.index]!;
        this.each(this.xml.fragment(off, off + vals.size[c.index]!), NO_VALUES, f);
      }
    }
  }

  /** the text of content: static text and values, nested elements' text included */
  text(content: readonly Content[], vals: Values): string {
    if (content.length === 1) return this.piece(content[0]!, vals);
    let s = '';
    for (const c of content) s += this.piece(c, vals);
    return s;
  }

  private piece(c: Content, vals: Values): string {
    if (typeof c === 'string') return c;
    if (c.k === 1) {
      if (c.index >= vals.type.length) return '';
      const type = vals.type[c.index]!;
      const off = vals.off[c.index]!;
      const size = vals.size[c.index]!;
      if (type === BINXML) return size ? this.text(this.xml.fragment(off, off + size), NO_VALUES) : '';
      return valueText(this.xml.buf, off, size, type);
    }
    if (c.k === 2) return this.text(c.body, c.values);
    return this.text(c.children, vals);
  }

  private attr(e: Elem, name: string, vals: Values): string {
    for (const a of e.attrs) if (a.name === name) return this.text(a.value, vals);
    return '';
  }

  private top = (content: readonly Content[], vals: Values): void => {
    this.each(content, vals, (e, v) => {
      if (e.name === 'Event') this.each(e.children, v, this.section);
      else this.section(e, v); // a fragment without the Event wrapper
    });
  };

  private section = (e: Elem, vals: Values): void => {
    switch (e.name) {
      case 'System':
        this.each(e.children, vals, this.system);
        break;
      case 'EventData':
        this.each(e.children, vals, this.data);
        break;
      case 'UserData':
        this.ev.userData = JSON.stringify(this.json(e.children, vals));
        break;
    }
  };

  private system = (e: Elem, vals: Values): void => {
    const ev = this.ev;
    switch (e.name) {
      case 'Provider':
        ev.provider = this.attr(e, 'Name', vals);
        ev.providerGuid = this.attr(e, 'Guid', vals);
        ev.eventSourceName = this.attr(e, 'EventSourceName', vals);
        break;
      case 'EventID':
        ev.eventId = this.text(e.children, vals);
        ev.qualifiers = this.attr(e, 'Qualifiers', vals);
        break;
      case 'Version':
        ev.version = this.text(e.children, vals);
        break;
      case 'Level':
        ev.level = this.text(e.children, vals);
        break;
      case 'Task':
        ev.task = this.text(e.children, vals);
        break;
      case 'Opcode':
        ev.opcode = this.text(e.children, vals);
        break;
      case 'Keywords':
        ev.keywords = this.text(e.children, vals);
        break;
      case 'TimeCreated':
        ev.timeCreatedMs = this.time(e, vals);
        break;
      case 'EventRecordID':
        ev.eventRecordId = this.text(e.children, vals);
        break;
      case 'Correlation':
        ev.activityId = this.attr(e, 'ActivityID', vals);
        break;
      case 'Execution':
        ev.processId = this.attr(e, 'ProcessID', vals);
        ev.threadId = this.attr(e, 'ThreadID', vals);
        break;
      case 'Channel':
        ev.channel = this.text(e.children, vals);
        break;
      case 'Computer':
        ev.computer = this.text(e.children, vals);
        break;
      case 'Security':
        ev.userId = this.attr(e, 'UserID', vals);
        break;
    }
  };

  /** TimeCreated's SystemTime: straight from the FILETIME value, else from its ISO text */
  private time(e: Elem, vals: Values): number {
    for (const a of e.attrs) {
      if (a.name !== 'SystemTime') continue;
      const c = a.value[0];
      if (a.value.length === 1 && typeof c === 'object' && c.k === 1 && vals.type[c.index] === 0x11 && vals.size[c.index]! >= 8)
        return fileTimeMs(this.xml.buf, vals.off[c.index]!);
      const t = Date.parse(this.text(a.value, vals).replace(/(\.\d{3})\d+/, '$1'));
      return t;
    }
    return Number.NaN;
  }

  private data = (e: Elem, vals: Values): void => {
    if (e.name === 'Data') {
      const name = this.attr(e, 'Name', vals);
      const c = e.children[0];
      if (e.children.length === 1 && typeof c === 'object' && c.k === 1 && (c.type & 0x80 || (vals.type[c.index] ?? 0) & 0x80)) {
        if (c.index >= vals.type.length) return;
        const type = vals.type[c.index]!;
        const off = vals.off[c.index]!;
        const size = vals.size[c.index]!;
        const items = type === 0 || size === 0 ? [] : type & 0x80 ? arrayItems(this.xml.buf, off, size, type) : [this.piece(c, vals)];
        for (const item of items) {
          this.ev.dataNames.push(name);
          this.ev.dataValues.push(item);
        }
        return;
      }
      this.ev.dataNames.push(name);
      this.ev.dataValues.push(this.text(e.children, vals));
    } else if (e.name === 'Binary') this.ev.binary = this.text(e.children, vals);
  };

  /** UserData (or any subtree) as JSON: an element with only text is its text; otherwise an object
   *  of its attributes ("@Name"), child elements (repeated names: arrays) and text ("#text") */
  private json(content: readonly Content[], vals: Values): unknown {
    const obj: Record<string, unknown> = {};
    let text = '';
    let elems = 0;
    for (const c of content) {
      if (typeof c === 'string' || c.k === 1) {
        if (typeof c === 'object' && vals.type[c.index] === BINXML) continue;
        text += this.piece(c, vals);
      }
    }
    this.each(content, vals, (e, v) => {
      elems++;
      const val = this.elemJson(e, v);
      const had = obj[e.name];
      if (had === undefined) obj[e.name] = val;
      else if (Array.isArray(had) && (had as unknown[] & { multi?: true }).multi) (had as unknown[]).push(val);
      else {
        const arr = Object.assign([had, val], { multi: true as const });
        obj[e.name] = arr;
      }
    });
    if (!elems) return text;
    if (text.trim()) obj['#text'] = text;
    return obj;
  }

  private elemJson(e: Elem, vals: Values): unknown {
    const inner = this.json(e.children, vals);
    if (!e.attrs.length) return inner;
    const o: Record<string, unknown> = {};
    for (const a of e.attrs) o[`@${a.name}`] = this.text(a.value, vals);
    if (typeof inner === 'string') {
      if (inner) o['#text'] = inner;
    } else Object.assign(o, inner);
    return o;
  }
}

const NO_VALUES: Values = { off: [], size: [], type: [] };

export { EvtxError };
