// Binary XML of one EVTX chunk (libevtx documentation, "Binary XML"): tokens, names and template
// definitions are addressed by their offset in the 64 KiB chunk, so each chunk has its own caches:
// names by offset, template definitions by offset (parsed once into a small tree, then reused by
// every record of the chunk that instantiates it). A record is a template instance: the template's
// tree plus the record's substitution values, which are located (offset, size, type) but turned into
// text only when the event extraction (event.ts) asks for them.
import { EvtxError, utf16 } from './values.js';

/** a substitution: the value of the instance's array at `index` */
export interface Sub {
  readonly k: 1;
  readonly index: number;
  /** optional substitution (token 0x0e) */
  readonly optional: boolean;
  /** the value type the template declares (the record's value may be NULL instead) */
  readonly type: number;
}
export interface Attr {
  readonly name: string;
  readonly value: readonly Content[];
}
export interface Elem {
  readonly k: 0;
  readonly name: string;
  readonly attrs: readonly Attr[];
  readonly children: readonly Content[];
}
/** a template instance: the template's tree with these values */
export interface Instance {
  readonly k: 2;
  readonly body: readonly Content[];
  readonly values: Values;
}
/** static text is a plain string */
export type Content = string | Sub | Elem | Instance;

/** the substitution values of one instance: offsets in the chunk, sizes and type bytes */
export interface Values {
  readonly off: number[];
  readonly size: number[];
  readonly type: number[];
}

const NO_VALUES: Values = { off: [], size: [], type: [] };
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** the Binary XML reader of one chunk, with its caches */
export class ChunkXml {
  private readonly names = new Map<number, string>();
  private readonly templates = new Map<number, readonly Content[]>();
  /** element nesting of the fragment being parsed: a hostile file cannot recurse without end */
  private depth = 0;

  constructor(readonly buf: Buffer) {}

  /** the fragment buf[pos, end): its content (a record's: one template instance as a rule) */
  fragment(pos: number, end: number): Content[] {
    const out: Content[] = [];
    const depth = this.depth;
    try {
      this.content(pos, end, out, false);
    } finally {
      this.depth = depth;
    }
    return out;
  }

  private u8(p: number, end: number): number {
    if (p >= end) throw new EvtxError(`Binary XML cut short at chunk offset ${p}`);
    return this.buf[p]!;
  }
  private u16(p: number, end: number): number {
    if (p + 2 > end) throw new EvtxError(`Binary XML cut short at chunk offset ${p}`);
    return this.buf.readUInt16LE(p);
  }
  private u32(p: number, end: number): number {
    if (p + 4 > end) throw new EvtxError(`Binary XML cut short at chunk offset ${p}`);
    return this.buf.readUInt32LE(p);
  }

  /** a name at chunk offset `off` (next u32, hash u16, count u16, UTF-16 chars, NUL) */
  private name(off: number): string {
    let s = this.names.get(off);
    if (s !== undefined) return s;
    if (off + 8 > this.buf.length) throw new EvtxError(`a name offset ${off} outside the chunk`);
    const n = this.buf.readUInt16LE(off + 6);
    if (off + 8 + 2 * n > this.buf.length) throw new EvtxError(`a name at ${off} runs past the chunk`);
    s = this.buf.toString('utf16le', off + 8, off + 8 + 2 * n);
    this.names.set(off, s);
    return s;
  }

  /** a name reference at p: its offset, and the name itself inline when it points right behind it */
  private nameRef(p: number, end: number): { name: string; next: number } {
    const off = this.u32(p, end);
    let next = p + 4;
    if (off === next) {
      const n = this.u16(next + 6, end);
      next += 8 + 2 * n + 2;
      if (next > end) throw new EvtxError(`an inline name at ${off} runs past its fragment`);
    }
    return { name: this.name(off), next };
  }

  /**
   * Content tokens from pos until EOF (0x00), an end-element (0x04, consumed when `inElement`), or
   * `end`; appended to out. Returns the position after the last token consumed.
   */
  private content(pos: number, end: number, out: Content[], inElement: boolean): number {
    let p = pos;
    while (p < end) {
      const tok = this.buf[p]!;
      switch (tok & 0xbf) {
        case 0x00: // end of fragment
          if (inElement) throw new EvtxError(`end of fragment inside an element at chunk offset ${p}`);
          return p + 1;
        case 0x01:
          p = this.element(p, end, out);
          break;
        case 0x04: // end element
          if (!inElement) throw new EvtxError(`an end-element outside an element at chunk offset ${p}`);
          return p + 1;
        case 0x05:
        case 0x07:
        case 0x08:
        case 0x09:
        case 0x0d:
        case 0x0e:
          p = this.value(p, end, out);
          break;
        case 0x0a: // processing instruction target (name), then data
          p = this.nameRef(p + 1, end).next;
          break;
        case 0x0b:
          p += 3 + 2 * this.u16(p + 1, end);
          break;
        case 0x0c:
          p = this.instance(p, end, out);
          break;
        case 0x0f: // fragment header: major, minor, flags
          p += 4;
          break;
        default:
          throw new EvtxError(`unknown Binary XML token 0x${tok.toString(16)} at chunk offset ${p}`);
      }
    }
    if (inElement) throw new EvtxError('an element not closed before the end of its fragment');
    return p;
  }

  /** a value-like token at p (value, CDATA, character/entity reference, substitution) */
  private value(p: number, end: number, out: Content[]): number {
    const tok = this.buf[p]! & 0xbf;
    switch (tok) {
      case 0x05: {
        const type = this.u8(p + 1, end);
        if (type === 0x01) {
          const n = this.u16(p + 2, end);
          const e = p + 4 + 2 * n;
          if (e > end) throw new EvtxError(`a text value at ${p} runs past its fragment`);
          out.push(utf16(this.buf, p + 4, e));
          return e;
        }
        if (type === 0x02) {
          const n = this.u16(p + 2, end);
          if (p + 4 + n > end) throw new EvtxError(`a text value at ${p} runs past its fragment`);
          out.push(this.buf.toString('latin1', p + 4, p + 4 + n));
          return p + 4 + n;
        }
        throw new EvtxError(`a value token of type 0x${type.toString(16)} at chunk offset ${p}`);
      }
      case 0x07: {
        const n = this.u16(p + 1, end);
        if (p + 3 + 2 * n > end) throw new EvtxError(`a CDATA section at ${p} runs past its fragment`);
        out.push(utf16(this.buf, p + 3, p + 3 + 2 * n));
        return p + 3 + 2 * n;
      }
      case 0x08:
        out.push(String.fromCharCode(this.u16(p + 1, end)));
        return p + 3;
      case 0x09: {
        const r = this.nameRef(p + 1, end);
        out.push(ENTITIES[r.name] ?? `&${r.name};`);
        return r.next;
      }
      default: // 0x0d normal, 0x0e optional substitution: index u16, type u8
        out.push({ k: 1, index: this.u16(p + 1, end), optional: tok === 0x0e, type: this.u8(p + 3, end) });
        return p + 4;
    }
  }

  private element(p: number, end: number, out: Content[]): number {
    const withAttrs = (this.buf[p]! & 0x40) !== 0;
    if (++this.depth > 64) throw new EvtxError('elements nested deeper than 64');
    // token, dependency id u16, data size u32, name offset u32
    let q = p + 3;
    const size = this.u32(q, end);
    q += 4;
    const elemEnd = Math.min(end, q + size);
    const nr = this.nameRef(q, elemEnd);
    q = nr.next;
    if (withAttrs) q += 4; // attribute list size
    const attrs: Attr[] = [];
    while (q < elemEnd && (this.buf[q]! & 0xbf) === 0x06) {
      const an = this.nameRef(q + 1, elemEnd);
      q = an.next;
      const value: Content[] = [];
      while (q < elemEnd) {
        const t = this.buf[q]! & 0xbf;
        if (t !== 0x05 && t !== 0x07 && t !== 0x08 && t !== 0x09 && t !== 0x0d && t !== 0x0e) break;
        q = this.value(q, elemEnd, value);
      }
      attrs.push({ name: an.name, value });
    }
    const close = this.u8(q, end);
    const children: Content[] = [];
    if (close === 0x02) q = this.content(q + 1, end, children, true);
    else if (close === 0x03) q += 1;
    else throw new EvtxError(`element <${nr.name}> at chunk offset ${p} not closed (token 0x${close.toString(16)})`);
    out.push({ k: 0, name: nr.name, attrs, children });
    this.depth--;
    return q;
  }

  /** token 0x0c: unknown u8, template id u32, definition offset u32, [definition], values */
  private instance(p: number, end: number, out: Content[]): number {
    const defOff = this.u32(p + 6, end);
    let q = p + 10;
    let body = this.templates.get(defOff);
    if (defOff === q) {
      // the definition follows: next-template offset u32, GUID, data size u32, data
      const size = this.u32(q + 20, end);
      if (q + 24 + size > end) throw new EvtxError(`a template definition at ${defOff} runs past its record`);
      if (!body) body = this.define(defOff, size);
      q += 24 + size;
    } else if (!body) {
      if (defOff + 24 > this.buf.length) throw new EvtxError(`a template offset ${defOff} outside the chunk`);
      body = this.define(defOff, this.buf.readUInt32LE(defOff + 20));
    }
    // values: count u32, then (size u16, type u8, 0) each, then the values one after another
    const count = this.u32(q, end);
    q += 4;
    if (q + 4 * count > end) throw new EvtxError(`${count} substitution values do not fit their record`);
    const values: Values = count ? { off: new Array(count), size: new Array(count), type: new Array(count) } : NO_VALUES;
    let v = q + 4 * count;
    for (let i = 0; i < count; i++) {
      const size = this.buf.readUInt16LE(q + 4 * i);
      values.off[i] = v;
      values.size[i] = size;
      values.type[i] = this.buf[q + 4 * i + 2]!;
      v += size;
    }
    if (v > end) throw new EvtxError('substitution values run past their record');
    out.push({ k: 2, body, values });
    return v;
  }

  private define(defOff: number, size: number): readonly Content[] {
    const start = defOff + 24;
    const end = start + size;
    if (end > this.buf.length) throw new EvtxError(`a template definition at ${defOff} runs past the chunk`);
    // mark it while parsing: a template that instantiates itself is refused, not recursed into
    this.templates.set(defOff, []);
    try {
      const body = this.fragment(start, end);
      this.templates.set(defOff, body);
      return body;
    } catch (e) {
      this.templates.delete(defOff);
      throw e;
    }
  }
}
