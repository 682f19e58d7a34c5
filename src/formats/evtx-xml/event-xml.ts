// One <Event> element's XML text (as wevtutil, Event Viewer and a forwarded-events subscription
// render it) turned into the same EvtxEvent the .evtx reader builds from Binary XML, so both give
// the same windows_events row: the System fields, EventData's insertion strings in order with
// their Name attributes, Binary as its hex text, UserData as JSON built the way evtx/event.ts builds
// it. RenderingInfo (the Message, Level and Task text a collector adds) is left out: the rows keep
// the structured fields, which are the same whether or not the event was forwarded.
// The XML is parsed by saxes with no DTD: a DOCTYPE or an entity other than XML's five is an error,
// so nothing is ever expanded.
import { SaxesParser } from 'saxes';
import { emptyEvent, type EvtxEvent } from '../evtx/event.js';

interface Node {
  readonly name: string;
  readonly attrs: Record<string, string>;
  readonly children: (Node | string)[];
}

/** an event that cannot be read: not well-formed XML, or not an <Event> */
export class EventXmlError extends Error {}

const local = (name: string) => {
  const i = name.indexOf(':');
  return i < 0 ? name : name.slice(i + 1);
};

/** Parses events one at a time with one reused saxes parser. */
export class EventXmlReader {
  private readonly parser = new SaxesParser({ position: true });
  private stack: Node[] = [];
  private root: Node | undefined;
  private error: string | undefined;
  /** RenderingInfo elements seen (forwarded events) */
  renderingInfo = 0;

  constructor() {
    const p = this.parser;
    p.on('opentag', (t) => {
      const attrs: Record<string, string> = {};
      for (const [k, v] of Object.entries(t.attributes)) attrs[local(k) === k || k.startsWith('xmlns') ? k : local(k)] = v as string;
      const node: Node = { name: local(t.name), attrs, children: [] };
      const top = this.stack[this.stack.length - 1];
      if (top) top.children.push(node);
      else if (!this.root) this.root = node;
      if (!t.isSelfClosing) this.stack.push(node);
    });
    p.on('closetag', (t) => {
      if (!t.isSelfClosing) this.stack.pop();
    });
    const text = (s: string) => {
      const top = this.stack[this.stack.length - 1];
      if (top) top.children.push(s);
    };
    p.on('text', text);
    p.on('cdata', text);
    p.on('doctype', () => {
      this.error ??= 'a DOCTYPE inside an event (not expanded)';
    });
    p.on('error', (e) => {
      this.error ??= e.message;
    });
  }

  /** the event in `xml` (one <Event> element); throws EventXmlError naming what is wrong */
  read(xml: string): EvtxEvent {
    this.stack = [];
    this.root = undefined;
    this.error = undefined;
    try {
      this.parser.write(xml).close();
    } catch (e) {
      this.error ??= (e as Error).message;
    }
    if (this.error !== undefined) throw new EventXmlError(this.error.replace(/^undefined:/, '').trim());
    const root = this.root as Node | undefined; // set by the handlers during write()
    if (root?.name !== 'Event') throw new EventXmlError('not an <Event> element');
    return this.event(root);
  }

  private event(root: Node): EvtxEvent {
    const ev = emptyEvent();
    for (const section of elems(root)) {
      if (section.name === 'System') for (const e of elems(section)) system(ev, e);
      else if (section.name === 'EventData') {
        for (const e of elems(section)) {
          if (e.name === 'Data') {
            ev.dataNames.push(e.attrs.Name ?? '');
            ev.dataValues.push(textOf(e));
          } else if (e.name === 'Binary') ev.binary = textOf(e).trim();
        }
      } else if (section.name === 'UserData') ev.userData = JSON.stringify(json(section.children));
      else if (section.name === 'RenderingInfo') this.renderingInfo++;
    }
    return ev;
  }
}

function* elems(n: Node): Generator<Node> {
  for (const c of n.children) if (typeof c !== 'string') yield c;
}

/** the text of an element, its descendants' text included */
function textOf(n: Node): string {
  if (n.children.length === 1 && typeof n.children[0] === 'string') return n.children[0];
  let s = '';
  for (const c of n.children) s += typeof c === 'string' ? c : textOf(c);
  return s;
}

function system(ev: EvtxEvent, e: Node): void {
  const a = e.attrs;
  const t = () => textOf(e).trim();
  switch (e.name) {
    case 'Provider':
      ev.provider = a.Name ?? '';
      ev.providerGuid = a.Guid ?? '';
      ev.eventSourceName = a.EventSourceName ?? '';
      break;
    case 'EventID':
      ev.eventId = t();
      ev.qualifiers = a.Qualifiers ?? '';
      break;
    case 'Version':
      ev.version = t();
      break;
    case 'Level':
      ev.level = t();
      break;
    case 'Task':
      ev.task = t();
      break;
    case 'Opcode':
      ev.opcode = t();
      break;
    case 'Keywords':
      ev.keywords = t();
      break;
    case 'TimeCreated':
      ev.timeCreatedMs = a.SystemTime === undefined ? Number.NaN : Date.parse(a.SystemTime.trim().replace(/(\.\d{3})\d+/, '$1'));
      break;
    case 'EventRecordID':
      ev.eventRecordId = t();
      break;
    case 'Correlation':
      ev.activityId = a.ActivityID ?? '';
      break;
    case 'Execution':
      ev.processId = a.ProcessID ?? '';
      ev.threadId = a.ThreadID ?? '';
      break;
    case 'Channel':
      ev.channel = t();
      break;
    case 'Computer':
      ev.computer = t();
      break;
    case 'Security':
      ev.userId = a.UserID ?? '';
      break;
  }
}

/** UserData (or any subtree) as JSON, as evtx/event.ts builds it: an element with only text is its
 *  text; otherwise an object of its attributes ("@Name"), child elements (repeated names: arrays)
 *  and its text ("#text") when that is more than white space */
function json(content: readonly (Node | string)[]): unknown {
  const obj: Record<string, unknown> = {};
  let text = '';
  let n = 0;
  const multi = new Set<string>();
  for (const c of content) {
    if (typeof c === 'string') {
      text += c;
      continue;
    }
    n++;
    const val = elemJson(c);
    const had = obj[c.name];
    if (had === undefined) obj[c.name] = val;
    else if (multi.has(c.name)) (had as unknown[]).push(val);
    else {
      obj[c.name] = [had, val];
      multi.add(c.name);
    }
  }
  if (!n) return text;
  if (text.trim()) obj['#text'] = text;
  return obj;
}

function elemJson(e: Node): unknown {
  const inner = json(e.children);
  const names = Object.keys(e.attrs);
  if (!names.length) return inner;
  const o: Record<string, unknown> = {};
  for (const k of names) o[`@${k}`] = e.attrs[k];
  if (typeof inner === 'string') {
    if (inner) o['#text'] = inner;
  } else Object.assign(o, inner);
  return o;
}
