// The ActiveSync `Log=` mini-grammar: a string such as
//   V120_Ty:Em_Fid:37_Fc1_Filt2_St:S_Sk:1805_Srv:1a0c0d0s0e0r_Pk2260121383_S1_
// decoded element by element with the tables of elements.ts, and summarized for reports.
//
// Grammar (2007 and later): elements separated by `_`; an element is letters + digits (`Fc1`,
// `CmdHC-813709136` with a sign) or letters [+ digits] + `:` + anything but `_` (`Ty:Em`,
// `Ver1:160`). Empty elements (a trailing `_`, `__`) carry nothing and are dropped; any other text
// is kept: an element whose identifier is unknown, or that fits no form at all, becomes a raw
// key/value named `unknown`. Repeated elements stay in order (`Ty:` once per collection). Joining
// `key + value` of the elements with `_` gives back the input without its empty elements.
// The Exchange 2003 form (`V2TCoSSC:0A0C0D0FS:1A0C0D0SP:1C2I105992S109982R`) has no separators and
// is recognised by its shape; joining `key + value` without a separator gives it back.
//
// URL decoding, the one rule: pass the value exactly as it stands in the IIS log's cs-uri-query,
// NOT a value already URL-decoded by a query-string parser. Exchange escapes what it appends
// (`%40` for @, `%5F` for _, `%25` for %, `+` for a space); splitting must happen on the raw `_`
// (a decoded `%5F` would split an element in two), and each string value is then decoded exactly
// once (url.ts): `PrxFrom:fe80%3a%3a…%2512` is `fe80::…%12`, and the `%12` it yields is never
// decoded again. Escapes that are malformed (`%zz`, a lone `%`), that would produce a control
// character (`%00`–`%1F`, `%7F`), or whose bytes are not UTF-8 stay as written. Values whose
// kind is a plain string or a number are shown as logged.
//
// decodeLog and summarizeLog never throw: every input gives elements (maybe `unknown` ones).
import {
  clientCounters,
  element2003For,
  elementFor,
  easStatus,
  protocolVersions2003,
  serverCounters,
  type CounterLetter,
  type ElementDef,
} from './elements.js';
import { urlDecode } from './url.js';

export { urlDecode };

export interface DecodedElement {
  /** identifier as logged, with its `:` when it has one (`Ty:`, `Fc`, `C:`); '' when the element
   *  does not start with letters */
  key: string;
  /** raw value as logged (still URL-escaped) */
  value: string;
  /** the element's name in the admin's words, `unknown` when the identifier is not in the table */
  name: string;
  /** what this value means: `3 days back`, `Adds 1, Changes 0 …`, a decoded string */
  meaning: string;
  /** counters split by letter: { adds: 1, changes: 0 … }; unknown letters under the letter */
  parts?: Record<string, number>;
}

const COLON = 58,
  MINUS = 45;

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

const shape2003 = /^V(?:\d|NA)T[A-Za-z]{2}S[A-Z](?:C:|S:|P:|$)/;
const form2003 = /^V(\d+|NA)T([A-Za-z]{2})S([A-Z])(?:C:((?:\d+[A-Za-z])*))?(?:S:((?:\d+[A-Za-z])*))?(?:P:((?:\d+[A-Za-z])*))?/;

/** the value is in the Exchange 2003 form (V…T…S…C:…S:…P:…) */
export function isLog2003(value: string): boolean {
  return value.indexOf('_') < 0 && shape2003.test(value);
}

/** Receives each element as ranges of the value: the key [ks, ke) (with its `:`), the value
 *  [vs, ve). */
export type ElementVisitor = (ks: number, ke: number, vs: number, ve: number) => void;

/** The grammar, once: the elements of a Log value in order, as ranges (see the top), so that the
 *  ingest hot path slices only the elements it needs. */
export function scanLog(value: string, visit: ElementVisitor): void {
  const n = value.length;
  if (isLog2003(value)) {
    const m = form2003.exec(value)!; // isLog2003 guarantees V, T and S
    let p = 0;
    const part = (keyLen: number, v: string | undefined) => {
      if (v === undefined) return;
      visit(p, p + keyLen, p + keyLen, p + keyLen + v.length);
      p += keyLen + v.length;
    };
    part(1, m[1]);
    part(1, m[2]);
    part(1, m[3]);
    part(2, m[4]);
    part(2, m[5]);
    part(2, m[6]);
    if (p < n) visit(p, p, p, n);
    return;
  }
  let a = 0;
  while (a <= n) {
    let b = value.indexOf('_', a);
    if (b < 0) b = n;
    if (b > a) {
      let i = a;
      while (i < b && isLetter(value.charCodeAt(i))) i++;
      let j = i;
      while (j < b && isDigit(value.charCodeAt(j))) j++;
      if (i > a && j < b && value.charCodeAt(j) === COLON)
        visit(a, j + 1, j + 1, b); // Ty:Em, Ver1:160
      else visit(a, i, i, b); // Fc1, CmdHC-8137, or no letters at all: key ''
    }
    a = b + 1;
  }
}

/** Calls visit(key, value) for each element of a Log value, in order. */
export function forEachElement(value: string, visit: (key: string, value: string) => void): void {
  scanLog(value, (ks, ke, vs, ve) => visit(value.slice(ks, ke), value.slice(vs, ve)));
}

// ---- meanings -------------------------------------------------------------------------------

export interface Counters {
  /** count by part name (`adds`, `softDeletes` …; a letter the table lacks under the letter) */
  parts: Record<string, number>;
  /** [letter's name, count] in logged order, for the meaning text */
  named: [string, number][];
}

/** `1a0c0d0s0e0r` → { adds: 1, … } with the element's letters; undefined when the value is not a
 *  counter list (digits then letters, repeated). Upper-case letters missing from a lower-case
 *  table (TechNet wrote `Svr:2A0C2D1F1E`) are looked up in lower case when the value has no
 *  lower-case letter. A letter seen twice is kept as `S`, `S#2` … Hand-written (no regex): the
 *  ingest hot path summarizes every ActiveSync request with it (without `named`: names false). */
export function parseCounters(value: string, letters: Readonly<Record<string, CounterLetter>>, names = true): Counters | undefined {
  const n = value.length;
  if (n === 0) return undefined;
  let upperOnly = true;
  for (let i = 0; i < n && upperOnly; i++) {
    const c = value.charCodeAt(i);
    if (c >= 97 && c <= 122) upperOnly = false;
  }
  const parts: Record<string, number> = {};
  const named: [string, number][] = [];
  let i = 0;
  while (i < n) {
    const start = i;
    if (value.charCodeAt(i) === MINUS) i++;
    const digits = i;
    while (i < n && isDigit(value.charCodeAt(i))) i++;
    if (i === digits) return undefined;
    const end = i;
    while (i < n && isLetter(value.charCodeAt(i))) i++;
    if (i === end) return undefined;
    const count = Number(value.slice(start, end));
    const letter = value.slice(end, i);
    const def = letters[letter] ?? (upperOnly ? letters[letter.toLowerCase()] : undefined);
    const base = def ? def.part : letter;
    let part = base;
    for (let k = 2; part in parts; k++) part = `${base}#${k}`;
    parts[part] = count;
    if (names) named.push([def ? def.name : letter, count]);
  }
  return { parts, named };
}

const intShape = /^-?\d+$/;

/** `780 sec (13min)`, as the seed translates Hb780 */
function secondsText(n: number): string {
  if (n < 60) return `${n} sec`;
  const m = Math.floor(n / 60),
    s = n % 60;
  return `${n} sec (${m}min${s ? ` ${s}s` : ''})`;
}

function describe(def: ElementDef, key: string, value: string): DecodedElement {
  const v = def.value;
  const el: DecodedElement = { key, value, name: def.name, meaning: value };
  switch (v.kind) {
    case 'enum':
      el.meaning = v.values[value] ?? `${value} (not a known value)`;
      break;
    case 'int': {
      if (!intShape.test(value)) {
        el.meaning = `${value} (not a number)`;
        break;
      }
      const n = Number(value);
      if (v.codes === 'eas-status') {
        const st = easStatus(n);
        el.meaning = st ? `${value} ${st.name}` : value;
      } else if (v.unit === 'seconds') el.meaning = secondsText(n);
      else if (v.unit === 'bytes') el.meaning = `${value} bytes`;
      else if (v.unit === 'ms') el.meaning = `${value} ms`;
      break;
    }
    case 'counters': {
      const c = parseCounters(value, v.letters);
      if (c) {
        el.meaning = c.named.map(([name, n]) => `${name} ${n}`).join(', ');
        el.parts = c.parts;
      } else el.meaning = `${value} (not a counter list)`;
      break;
    }
    case 'url-escaped string':
      el.meaning = urlDecode(value);
      break;
    case 'string':
      break;
  }
  return el;
}

/** Decode a Log= value (raw, as logged: see the URL rule at the top). Never throws. */
export function decodeLog(value: string): DecodedElement[] {
  const out: DecodedElement[] = [];
  const is2003 = isLog2003(value);
  forEachElement(value, (key, v) => {
    const def = is2003 ? element2003For(key) : elementFor(key.endsWith(':') ? key.slice(0, -1) : key);
    out.push(def ? describe(def, key, v) : { key, value: v, name: 'unknown', meaning: key.endsWith(':') ? urlDecode(v) : v });
  });
  return out;
}

// ---- summary --------------------------------------------------------------------------------

export interface ClientCounts {
  adds: number;
  changes: number;
  deletes: number;
  fetches: number;
  errors: number;
}
export interface ServerCounts {
  adds: number;
  changes: number;
  deletes: number;
  softDeletes: number;
  errors: number;
  readFlagChanges: number;
}

/** one synchronized collection (a Ty element and what follows it, or the 2003 T) */
export interface CollectionSummary {
  /** Em, Co, Ca, Ta, Nt as logged (elements.collectionTypes names them) */
  type: string;
  folderId?: string;
  /** F first, S subsequent, R recovery, I invalid */
  syncType?: string;
  /** Filt value: 0–8 */
  filter?: number;
  client?: ClientCounts;
  server?: ServerCounts;
}

/** What reports need from one request's Log, in one typed object. Counts are summed over the
 *  request's collections and absent when the Log has no Cli:/Srv: element at all. Every number
 *  is a whole number ≥ 0: an element whose value has a sign or more than 15 digits is not read. */
export interface LogSummary {
  format: '2003' | '2007';
  /** `12.0`, `14.1`, `2.5` (MS-ASProtocolVersion form) */
  protocolVersion?: string;
  /** distinct collection types in order of appearance: ['Em', 'Ca'] */
  collectionTypes: string[];
  collections: CollectionSummary[];
  /** sync type of the request (the first St:, or the 2003 S unless N): F S R I */
  syncType?: string;
  /** distinct sync types of its collections in order: ['S', 'F'] when one collection starts over */
  syncTypes: string[];
  /** S: the command's global status */
  status?: number;
  /** Error: values, URL-decoded, in order */
  errors: string[];
  /** Hb: heartbeat interval of a Ping, seconds */
  heartbeat?: number;
  folderCount?: number;
  policyKey?: number;
  /** Pa: 1 applied, 2 partially, 3 failed, 0 unknown */
  policyAck?: number;
  clientAdds?: number;
  clientChanges?: number;
  clientDeletes?: number;
  clientFetches?: number;
  clientErrors?: number;
  serverAdds?: number;
  serverChanges?: number;
  serverDeletes?: number;
  serverSoftDeletes?: number;
  serverErrors?: number;
  serverReadFlagChanges?: number;
  attachments?: number;
  attachmentBytes?: number;
  sharePointDocs?: number;
  uncFiles?: number;
  /** Oof: Get or Set */
  oof?: string;
  deviceModel?: string;
  deviceOS?: string;
  deviceIMEI?: string;
  deviceName?: string;
  deviceLanguage?: string;
  mailboxServer?: string;
  /** As: AllowedG … */
  accessState?: string;
}

/** `14.1` from the digits Exchange logs (141) or a base64 request's version byte */
export function protocolFromNumber(n: number): string {
  return `${Math.floor(n / 10)}.${n % 10}`;
}

/** every number of a summary is a count, a code or a key: a whole number from 0 up, written with
 *  at most 15 digits (so it is exact); any other value (`-1`, 20 digits) is not read */
const countShape = /^\d{1,15}$/;

function toInt(v: string): number | undefined {
  return countShape.test(v) ? Number(v) : undefined;
}

/** counters with no negative or inexact count (see countShape) */
function countsOf(value: string, letters: Readonly<Record<string, CounterLetter>>): Record<string, number> | undefined {
  const c = parseCounters(value, letters, false)?.parts;
  if (!c) return undefined;
  for (const k in c) if (c[k]! < 0 || c[k]! > 999_999_999_999_999) return undefined;
  return c;
}

/** identifiers the summary reads, with and without their `:`, to the case label of add() (a Map
 *  lookup skips the other elements with one hash, and the switch then compares constants) */
const summaryKeys = new Map<string, string>(
  [
    'V',
    'Ty',
    'T',
    'Fid',
    'Filt',
    'St',
    'S',
    'Cli',
    'C:',
    'Srv',
    'Svr',
    'S:',
    'Error',
    'Hb',
    'Fc',
    'Pk',
    'Pa',
    'Att',
    'Attb',
    'Ssp',
    'Unc',
    'Oof',
    'DevModel',
    'DevOS',
    'DevIMEI',
    'DevName',
    'DevLang',
    'Mbx',
    'As',
  ].flatMap((k): [string, string][] =>
    k.endsWith(':')
      ? [[k, k]]
      : [
          [k, k],
          [`${k}:`, k],
        ],
  ),
);

/** the letters of the 2003 C: and S: sections */
const client2003 = lettersOf('C:');
const server2003 = lettersOf('S:');
function lettersOf(key: string): Readonly<Record<string, CounterLetter>> {
  const v = element2003For(key)!.value;
  return v.kind === 'counters' ? v.letters : {};
}

class Summarizer {
  /** every field present from the start (undefined until seen): one object shape for all */
  readonly s: LogSummary = {
    format: '2007',
    protocolVersion: undefined,
    collectionTypes: [],
    collections: [],
    syncType: undefined,
    syncTypes: [],
    status: undefined,
    errors: [],
    heartbeat: undefined,
    folderCount: undefined,
    policyKey: undefined,
    policyAck: undefined,
    clientAdds: undefined,
    clientChanges: undefined,
    clientDeletes: undefined,
    clientFetches: undefined,
    clientErrors: undefined,
    serverAdds: undefined,
    serverChanges: undefined,
    serverDeletes: undefined,
    serverSoftDeletes: undefined,
    serverErrors: undefined,
    serverReadFlagChanges: undefined,
    attachments: undefined,
    attachmentBytes: undefined,
    sharePointDocs: undefined,
    uncFiles: undefined,
    oof: undefined,
    deviceModel: undefined,
    deviceOS: undefined,
    deviceIMEI: undefined,
    deviceName: undefined,
    deviceLanguage: undefined,
    mailboxServer: undefined,
    accessState: undefined,
  };
  private current: CollectionSummary | undefined;

  add(key: string, value: string): void {
    const s = this.s;
    const k = summaryKeys.get(key);
    if (k === undefined) return; // PrxFrom, Budget, ActivityContextData …: not summarized
    switch (k) {
      case 'V': {
        const v2003 = protocolVersions2003[value];
        if (value.length <= 2 && v2003 !== undefined) {
          if (value !== 'NA') s.protocolVersion = v2003;
          break;
        }
        const n = toInt(value);
        if (n !== undefined && s.protocolVersion === undefined) s.protocolVersion = protocolFromNumber(n);
        break;
      }
      case 'Ty':
      case 'T':
        if (k === 'T') s.format = '2003';
        if (value === 'NA') break;
        this.current = { type: value };
        s.collections.push(this.current);
        if (!s.collectionTypes.includes(value)) s.collectionTypes.push(value);
        break;
      case 'Fid':
        if (this.current) this.current.folderId = value;
        break;
      case 'Filt': {
        const n = toInt(value);
        if (n !== undefined && this.current) this.current.filter = n;
        break;
      }
      case 'St':
        this.syncType(value);
        break;
      case 'S': {
        // 2007+: the status (digits); 2003: the sync type (a letter)
        const n = toInt(value);
        if (n !== undefined) s.status = n;
        else if (value !== 'N') this.syncType(value);
        break;
      }
      case 'Cli':
        this.client(value, clientCounters);
        break;
      case 'C:':
        this.client(value, client2003);
        break;
      case 'Srv':
      case 'Svr':
        this.server(value, serverCounters);
        break;
      case 'S:':
        this.server(value, server2003);
        break;
      case 'Error':
        s.errors.push(urlDecode(value));
        break;
      case 'Hb':
        s.heartbeat = toInt(value) ?? s.heartbeat;
        break;
      case 'Fc':
        s.folderCount = toInt(value) ?? s.folderCount;
        break;
      case 'Pk':
        s.policyKey = toInt(value) ?? s.policyKey;
        break;
      case 'Pa':
        s.policyAck = toInt(value) ?? s.policyAck;
        break;
      case 'Att':
        s.attachments = (s.attachments ?? 0) + (toInt(value) ?? 0);
        break;
      case 'Attb':
        s.attachmentBytes = (s.attachmentBytes ?? 0) + (toInt(value) ?? 0);
        break;
      case 'Ssp':
        s.sharePointDocs = (s.sharePointDocs ?? 0) + (toInt(value) ?? 0);
        break;
      case 'Unc':
        s.uncFiles = (s.uncFiles ?? 0) + (toInt(value) ?? 0);
        break;
      case 'Oof':
        s.oof = value;
        break;
      case 'DevModel':
        s.deviceModel = urlDecode(value);
        break;
      case 'DevOS':
        s.deviceOS = urlDecode(value);
        break;
      case 'DevIMEI':
        s.deviceIMEI = urlDecode(value);
        break;
      case 'DevName':
        s.deviceName = urlDecode(value);
        break;
      case 'DevLang':
        s.deviceLanguage = urlDecode(value);
        break;
      case 'Mbx':
        s.mailboxServer = urlDecode(value);
        break;
      case 'As':
        s.accessState = value;
        break;
      default:
        break;
    }
  }

  private syncType(v: string): void {
    if (this.current && this.current.syncType === undefined) this.current.syncType = v;
    this.s.syncType ??= v;
    if (!this.s.syncTypes.includes(v)) this.s.syncTypes.push(v);
  }

  private client(value: string, letters: Readonly<Record<string, CounterLetter>>): void {
    const c = countsOf(value, letters);
    if (!c) return;
    const x: ClientCounts = { adds: c.adds ?? 0, changes: c.changes ?? 0, deletes: c.deletes ?? 0, fetches: c.fetches ?? 0, errors: c.errors ?? 0 };
    if (this.current) this.current.client = x;
    const s = this.s;
    s.clientAdds = (s.clientAdds ?? 0) + x.adds;
    s.clientChanges = (s.clientChanges ?? 0) + x.changes;
    s.clientDeletes = (s.clientDeletes ?? 0) + x.deletes;
    s.clientFetches = (s.clientFetches ?? 0) + x.fetches;
    s.clientErrors = (s.clientErrors ?? 0) + x.errors;
  }

  private server(value: string, letters: Readonly<Record<string, CounterLetter>>): void {
    const c = countsOf(value, letters);
    if (!c) return;
    const x: ServerCounts = {
      adds: c.adds ?? 0,
      changes: c.changes ?? 0,
      deletes: c.deletes ?? 0,
      softDeletes: c.softDeletes ?? 0,
      errors: c.errors ?? 0,
      readFlagChanges: c.readFlagChanges ?? 0,
    };
    if (this.current) this.current.server = x;
    const s = this.s;
    s.serverAdds = (s.serverAdds ?? 0) + x.adds;
    s.serverChanges = (s.serverChanges ?? 0) + x.changes;
    s.serverDeletes = (s.serverDeletes ?? 0) + x.deletes;
    s.serverSoftDeletes = (s.serverSoftDeletes ?? 0) + x.softDeletes;
    s.serverErrors = (s.serverErrors ?? 0) + x.errors;
    s.serverReadFlagChanges = (s.serverReadFlagChanges ?? 0) + x.readFlagChanges;
  }
}

/** Summary of decoded elements (decodeLog's output, or any {key, value} list in Log order). */
export function summarize(elements: readonly { readonly key: string; readonly value: string }[]): LogSummary {
  const acc = new Summarizer();
  for (const e of elements) acc.add(e.key, e.value);
  return acc.s;
}

/** (length, first letter) of the identifiers the summary reads: most elements of a 2010+ Log
 *  (PrxFrom, ActivityContextData, Budget …) are skipped on these two without slicing them */
const summaryShapes = new Set([...summaryKeys.keys()].map((k) => k.length * 256 + k.charCodeAt(0)));

/** summarize(decodeLog(value)) without naming every element: the ingest hot path's form, which
 *  slices only the elements the summary reads */
export function summarizeLog(value: string): LogSummary {
  const acc = new Summarizer();
  scanLog(value, (ks, ke, vs, ve) => {
    if (ke > ks && summaryShapes.has((ke - ks) * 256 + value.charCodeAt(ks))) acc.add(value.slice(ks, ke), value.slice(vs, ve));
  });
  return acc.s;
}
