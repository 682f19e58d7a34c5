// ClickHouse over its HTTP interface, with Node's own fetch (no client library: @clickhouse/client
// cannot read the errors of Debian's 18.16 server). Written for 18.16 and current releases alike:
//
//   - every request carries wait_end_of_query=1, so the server buffers the whole result and an error
//     half-way through a SELECT comes back as an HTTP error instead of after 200 and partial rows;
//   - the HTTP status is checked here, and error bodies are parsed in both forms:
//       18.16:   Code: 60, e.displayText() = DB::Exception: Table x doesn't exist., e.what() = DB::Exception
//       current: Code: 60. DB::Exception: Table x does not exist. (UNKNOWN_TABLE) (version 24.3.1.1)
//   - every request has a deadline (AbortSignal.timeout, covering the response body too); a refused
//     connection, a deadline or a dropped connection is a ClickhouseError whose kind says which and
//     whose message names host:port;
//   - credentials go in the X-ClickHouse-User / X-ClickHouse-Key headers (18.16 reads them), never in
//     the URL, and are redacted from every error message;
//   - no query parameters (18.16 has none): statements are built with sql`` from ../../sql/sql.ts, the one
//     place values are escaped.
//
// Results are read as JSONCompact (column names and types once, then rows as arrays).
// 64-bit integers: the server is always asked to quote them (output_format_json_quote_64bit_integers=1,
// also the default) so no digit is lost in JSON, and each column whose type is (U)Int64/128/256 is then
// decoded by the query's `int64` option:
//   'number' (default) a JS number when it is a safe integer, else a ClickhouseError of kind 'decode'
//            (a count or a byte sum never gets near 2^53; silently rounding one would be worse);
//   'bigint' always a bigint;  'string' the decimal text as sent.
// Floats: nan and ±inf are asked for quoted (output_format_json_quote_denormals=1) and decoded to
// NaN/±Infinity; by default the server would write them as null.
//
// Timestamps with milliseconds: DateTime in 18.16 has whole seconds, no DateTime64, and its TSV
// parser rejects 'YYYY-MM-DD HH:MM:SS.fff' ("Cannot parse input … garbage after DateTime"); the
// date_time_input_format=best_effort setting parses it but drops the milliseconds. So a record
// table's timestamp column `ts` is stored as two columns, `ts DateTime('UTC')` and `ts_ms UInt16`,
// and rows are loaded through a staging table: see tables.ts (tested on 18.16 in insert.test.ts).
import { type Sql, ident, join, sqlText } from '../../sql/sql.js';

export type ClickhouseErrorKind =
  /** the server answered with an error (code and message parsed from its body) */
  | 'server'
  /** nothing listens on host:port */
  | 'refused'
  /** no complete answer within the deadline */
  | 'timeout'
  /** the connection failed or was dropped (reset, DNS, TLS …) */
  | 'network'
  /** the answer could not be read (not the expected JSON, or an integer too large for a number) */
  | 'decode';

export class ClickhouseError extends Error {
  override readonly name = 'ClickhouseError';
  constructor(
    message: string,
    readonly kind: ClickhouseErrorKind,
    /** HTTP status, 0 when no HTTP answer came */
    readonly status: number,
    /** host:port of the server */
    readonly endpoint: string,
    /** ClickHouse error code (60 = unknown table, 62 = syntax error …) */
    readonly code?: number,
    /** the code's name when the server says it (current releases: UNKNOWN_TABLE) */
    readonly codeName?: string,
  ) {
    super(message);
  }
}

export type Settings = Record<string, string | number | boolean>;
export type Int64Mode = 'number' | 'bigint' | 'string';

export interface ClickhouseOptions {
  /** http://host:port of the HTTP interface; user:password@ in it is taken as the credentials */
  url: string;
  /** database for unqualified table names (the server's default otherwise) */
  database?: string;
  user?: string;
  password?: string;
  /** deadline of each request, ms (default 30 000) */
  timeoutMs?: number;
  /** settings sent with every request */
  settings?: Settings;
}

export interface RequestOptions {
  settings?: Settings;
  timeoutMs?: number;
}

export interface QueryOptions extends RequestOptions {
  int64?: Int64Mode;
}

const MAX_MESSAGE = 4000;
const SETTING_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Parse an error body of either generation into code, name and message. */
export function parseErrorBody(body: string): { code?: number; codeName?: string; message: string } {
  let text = body.trim();
  let code: number | undefined;
  let codeName: string | undefined;
  const head = /^Code:\s*(\d+)\s*[.,]\s*/.exec(text);
  if (head) {
    code = Number(head[1]);
    text = text.slice(head[0].length);
  }
  // 18.16 wraps every message, nested ones too (a Distributed query's "Log:" of connection tries)
  text = text.replace(/e\.displayText\(\)\s*=\s*/g, '');
  text = text.replace(/,\s*e\.what\(\)\s*=\s*[\w:]+/g, '');
  text = text.replace(/(^|\n|, )(?:DB::|Poco::)?\w*Exception:\s*/g, '$1');
  const ver = /\s*\(version \d[^\n]*\)\s*$/.exec(text); // '(version 24.3.2.23 (official build))'
  if (ver) text = text.slice(0, ver.index);
  const name = /\s*\(([A-Z][A-Z0-9_]+)\)\s*$/.exec(text);
  if (name) {
    codeName = name[1];
    text = text.slice(0, name.index);
  }
  return { ...(code !== undefined && { code }), ...(codeName !== undefined && { codeName }), message: text.trim() };
}

const INT_TYPES = /^U?Int(64|128|256)$/;

/** a decoder for one column type, or undefined when values need no change */
function decoderFor(type: string, mode: Int64Mode, column: string, endpoint: string): ((v: unknown) => unknown) | undefined {
  let t = type.trim();
  for (;;) {
    const m = /^(?:Nullable|LowCardinality)\((.*)\)$/.exec(t);
    if (!m) break;
    t = m[1]!.trim();
  }
  if (INT_TYPES.test(t)) {
    if (mode === 'string') return undefined;
    if (mode === 'bigint') return (v) => (v === null ? null : BigInt(v as string));
    return (v) => {
      if (v === null) return null;
      const n = Number(v);
      if (!Number.isSafeInteger(n)) {
        throw new ClickhouseError(
          `column ${column} (${type}) holds ${String(v)}, beyond a safe JS number: query it with { int64: 'bigint' } or toString()`,
          'decode',
          200,
          endpoint,
        );
      }
      return n;
    };
  }
  if (/^Float(32|64)$/.test(t)) {
    // nan and ±inf arrive quoted (output_format_json_quote_denormals=1), instead of as null
    return (v) => (typeof v === 'string' ? (v.includes('nan') ? NaN : v.startsWith('-') ? -Infinity : Infinity) : v);
  }
  const arr = /^Array\((.*)\)$/.exec(t);
  if (arr) {
    const inner = decoderFor(arr[1]!, mode, column, endpoint);
    return inner && ((v) => (Array.isArray(v) ? v.map(inner) : v));
  }
  const tup = /^Tuple\((.*)\)$/.exec(t);
  if (tup) {
    const parts = splitTopLevel(tup[1]!).map((p) => {
      const named = /^[A-Za-z_][A-Za-z0-9_]*\s+([A-Z].*)$/.exec(p.trim());
      return decoderFor(named ? named[1]! : p, mode, column, endpoint);
    });
    if (parts.every((d) => d === undefined)) return undefined;
    return (v) => (Array.isArray(v) ? v.map((x, i) => (parts[i] ? parts[i]!(x) : x)) : v);
  }
  return undefined;
}

function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0,
    start = 0,
    quote = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === "'") quote = false;
      continue;
    }
    if (c === "'") quote = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out;
}

interface JsonCompact {
  meta: { name: string; type: string }[];
  data: unknown[][];
}

export class ClickhouseHttp {
  readonly endpoint: string;
  readonly database: string | undefined;
  private readonly base: URL;
  private readonly headers: Record<string, string> = {};
  private readonly secrets: RegExp[] = [];
  private readonly timeoutMs: number;
  private readonly settings: Settings;

  constructor(options: ClickhouseOptions) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new TypeError('ClickHouse url is not a valid URL (expected http://host:port)');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`ClickHouse url must be http:// or https://, not ${url.protocol}`);
    const user = options.user ?? (url.username ? decodeURIComponent(url.username) : undefined);
    const password = options.password ?? (url.password ? decodeURIComponent(url.password) : undefined);
    url.username = '';
    url.password = '';
    url.search = '';
    url.hash = '';
    if (!url.pathname.endsWith('/')) url.pathname += '/';
    this.base = url;
    this.endpoint = url.host;
    this.database = options.database;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.settings = { ...options.settings };
    if (user !== undefined) this.headers['X-ClickHouse-User'] = user;
    if (password !== undefined) this.headers['X-ClickHouse-Key'] = password;
    // The password wherever it appears; the user name as a whole word unless it is the built-in
    // `default` (which also names the default database and would blank out table names).
    if (password) this.secrets.push(new RegExp(escapeRegExp(password), 'g'), new RegExp(escapeRegExp(encodeURIComponent(password)), 'g'));
    if (user && user !== 'default') this.secrets.push(new RegExp(`(?<![\\w.-])${escapeRegExp(user)}(?![\\w-])`, 'g'));
  }

  /** rows of a SELECT (or SHOW, DESCRIBE …) as objects keyed by column name */
  async query<T = Record<string, unknown>>(statement: Sql | string, options: QueryOptions = {}): Promise<T[]> {
    const text = sqlText(statement).replace(/[\s;]+$/, '') + '\nFORMAT JSONCompact';
    const body = await this.request(text, undefined, {
      ...options,
      settings: { ...options.settings, output_format_json_quote_64bit_integers: 1, output_format_json_quote_denormals: 1 },
    });
    let parsed: JsonCompact;
    try {
      parsed = JSON.parse(body.toString('utf8')) as JsonCompact;
      if (!Array.isArray(parsed.meta) || !Array.isArray(parsed.data)) throw new Error('no meta/data');
    } catch {
      throw this.decodeError(body, 200);
    }
    const mode = options.int64 ?? 'number';
    const names = parsed.meta.map((m) => m.name);
    const decoders = parsed.meta.map((m) => decoderFor(m.type, mode, m.name, this.endpoint));
    return parsed.data.map((row) => {
      const o: Record<string, unknown> = {};
      for (let i = 0; i < names.length; i++) {
        const d = decoders[i];
        o[names[i]!] = d ? d(row[i]) : row[i];
      }
      return o as T;
    });
  }

  /** a statement without result rows (DDL, INSERT … SELECT, SET-like settings go in options) */
  async exec(statement: Sql | string, options: RequestOptions = {}): Promise<void> {
    await this.request(sqlText(statement), undefined, options);
  }

  /** Load TabSeparated rows (as schema/tsv.ts writes them with backslashEscapes = true) into
   *  `table`'s `columns`, in one request. `table` is a name in the client's database, or ident(db, t). */
  async insertTsv(table: string | Sql, columns: readonly string[], body: Buffer | Uint8Array, options: RequestOptions = {}): Promise<void> {
    if (body.length === 0) return;
    const target = typeof table === 'string' ? ident(table) : table;
    const cols = columns.length ? ` (${join(columns.map((c) => ident(c))).text})` : '';
    await this.request(`INSERT INTO ${target.text}${cols} FORMAT TabSeparated`, body, options);
  }

  /** true when the server answers /ping (within the deadline); never throws */
  async ping(timeoutMs = this.timeoutMs): Promise<boolean> {
    try {
      const res = await fetch(new URL('ping', this.base), { signal: AbortSignal.timeout(timeoutMs) });
      const text = await res.text();
      return res.ok && text.startsWith('Ok');
    } catch {
      return false;
    }
  }

  /** the server's version, e.g. '18.16.1' */
  async serverVersion(): Promise<string> {
    const rows = await this.query<{ version: string }>('SELECT version() AS version');
    return rows[0]!.version;
  }

  private async request(query: string, data: Buffer | Uint8Array | undefined, options: RequestOptions): Promise<Buffer> {
    const params = new URLSearchParams();
    if (this.database !== undefined) params.set('database', this.database);
    for (const [k, v] of Object.entries({ ...this.settings, ...options.settings })) {
      if (!SETTING_NAME.test(k)) throw new TypeError(`invalid ClickHouse setting name ${JSON.stringify(k)}`);
      params.set(k, typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
    }
    params.set('wait_end_of_query', '1');
    if (data !== undefined) params.set('query', query);
    const url = new URL(this.base);
    url.search = params.toString();
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const headers: Record<string, string> = { ...this.headers };
    if (data === undefined) headers['Content-Type'] = 'text/plain; charset=utf-8';
    let status = 0;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers,
        body: data ?? query,
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = res.status;
      const body = Buffer.from(await res.arrayBuffer());
      if (res.ok) return body;
      const parsed = parseErrorBody(body.toString('utf8'));
      const headerCode = Number(res.headers.get('x-clickhouse-exception-code') ?? NaN);
      const code = parsed.code ?? (Number.isInteger(headerCode) ? headerCode : undefined);
      const message = parsed.message || `HTTP ${res.status} ${res.statusText}`;
      throw new ClickhouseError(this.redact(cap(message)), 'server', res.status, this.endpoint, code, parsed.codeName);
    } catch (err) {
      if (err instanceof ClickhouseError) throw err;
      throw this.transportError(err, status, timeoutMs);
    }
  }

  private transportError(err: unknown, status: number, timeoutMs: number): ClickhouseError {
    const e = err as { name?: string; message?: string; cause?: unknown };
    if (e?.name === 'TimeoutError' || e?.name === 'AbortError') {
      return new ClickhouseError(`ClickHouse at ${this.endpoint} did not answer within ${timeoutMs} ms`, 'timeout', status, this.endpoint);
    }
    const codes = causeCodes(err);
    if (codes.includes('ECONNREFUSED')) {
      return new ClickhouseError(
        `cannot connect to ClickHouse at ${this.endpoint}: connection refused (is the server running, and is this its HTTP port?)`,
        'refused',
        0,
        this.endpoint,
      );
    }
    const detail = codes.length ? codes.join('/') : (e?.message ?? String(err));
    return new ClickhouseError(this.redact(`connection to ClickHouse at ${this.endpoint} failed: ${detail}`), 'network', status, this.endpoint);
  }

  private decodeError(body: Buffer, status: number): ClickhouseError {
    const text = body.toString('utf8');
    // an error the server wrote after a 200 (should not happen with wait_end_of_query=1)
    const at = text.search(/Code:\s*\d+\s*[.,]/);
    if (at >= 0) {
      const parsed = parseErrorBody(text.slice(at));
      return new ClickhouseError(this.redact(cap(parsed.message)), 'server', status, this.endpoint, parsed.code, parsed.codeName);
    }
    return new ClickhouseError(
      `ClickHouse at ${this.endpoint} sent an answer that is not JSONCompact: ${this.redact(cap(text, 200))}`,
      'decode',
      status,
      this.endpoint,
    );
  }

  private redact(text: string): string {
    for (const re of this.secrets) text = text.replace(re, '***');
    return text;
  }
}

function cap(s: string, n = MAX_MESSAGE): string {
  return s.length > n ? s.slice(0, n) + ` … (${s.length - n} more characters)` : s;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** error codes (ECONNREFUSED …) found on an error, its causes and aggregated errors */
function causeCodes(err: unknown, depth = 0): string[] {
  if (!err || typeof err !== 'object' || depth > 4) return [];
  const e = err as { code?: unknown; cause?: unknown; errors?: unknown[] };
  const out: string[] = [];
  if (typeof e.code === 'string') out.push(e.code);
  if (e.cause) out.push(...causeCodes(e.cause, depth + 1));
  if (Array.isArray(e.errors)) for (const x of e.errors) out.push(...causeCodes(x, depth + 1));
  return [...new Set(out)];
}
