// `param`: a cmdlet's parameter, read from the parameters text of Exchange's cmdlet log (`%2` of the
// "MSExchange CmdletLogs" events) rather than searched for in it, so that a parameter name written
// inside another parameter's value (-Notes "set -ForwardingSmtpAddress later", -DisplayName
// "-RedirectTo desk") is part of that value, not a parameter.
//
// How the log writes the parameters (the evidence: Sigma's msexchange-management rules match
// ` -Confirm "False"`, ` -Role "Mailbox Import Export"`, `-FilePath "\\`; the Rps cmdlet log's
// Parameters column holds `-ResultSize "1"`): each parameter the cmdlet bound, as `-Name "value"`,
// the value in double quotes, as is (backslashes are not escaped), switches and booleans as
// "True"/"False", a list (a multi-valued property) as its elements joined by ", " in one quoted value.
// Exchange 2010 wrote `{Identity=DAG1, MailboxServer=SCEX02}` instead: read too. Admins' typed forms
// are read as well: 'x' (with '' for a quote), bare words, $null/$true/$false, -Name:value, a bare
// switch, "a","b" lists and @(…).
//
// A quote inside a value: no public sample shows how the log writes one. The parser takes a quote
// as the value's end only where a parameter boundary follows it (the end of the text, a comma, or
// spaces and then -Name), and reads "" (PowerShell's doubling) and `" as a quote. Where the text is
// ambiguous (a value that holds `" -Name` itself), it reads the parameter: a false alarm rather than
// a missed one. The parser never throws, reads at most MAX_CHARS characters and MAX_PARAMS
// parameters, and says in `malformed` what it could not read (an unterminated quote: the value runs
// to the end of the text, and the parameters before it are read).

/** characters of a parameters text read at most (an insertion string holds at most 31,839) */
export const MAX_CHARS = 1 << 20;
/** parameters read at most */
export const MAX_PARAMS = 10_000;

export interface CmdletParam {
  /** as written, without the dash */
  readonly name: string;
  /** the value: quotes removed, escapes resolved; null for $null; 'True' for $true and a bare switch,
   *  'False' for $false; the elements of a list joined by ', ' */
  readonly value: string | null;
  /** the value as a list: its elements (separated by commas, inside or outside quotes), trimmed */
  readonly items: readonly (string | null)[];
}

export interface ParsedParams {
  readonly params: readonly CmdletParam[];
  /** what could not be read, with the column (1-based); absent when the text is well formed */
  readonly malformed?: string;
}

const isSpace = (ch: string | undefined) => ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';
const isNameStart = (ch: string | undefined) => ch !== undefined && ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch === '_');
const isNameChar = (ch: string | undefined) => isNameStart(ch) || (ch !== undefined && ch >= '0' && ch <= '9');

/** a typed constant as the log writes it: $true -> True, $false -> False, $null -> null */
function constant(word: string): string | null | undefined {
  const w = word.toLowerCase();
  if (w === '$true') return 'True';
  if (w === '$false') return 'False';
  if (w === '$null') return null;
  return undefined;
}

class Scanner {
  i = 0;
  malformed: string | undefined;
  constructor(readonly s: string) {}

  skipSpace(): void {
    while (isSpace(this.s[this.i])) this.i++;
  }

  /** a parameter starts at j: a dash, a name's first letter (not -5, not a lone dash) */
  paramAt(j: number): boolean {
    return this.s[j] === '-' && isNameStart(this.s[j + 1]);
  }

  /** a value may end before j: the end, a comma, or spaces and then a parameter (or the end) */
  boundaryAt(j: number): boolean {
    const s = this.s;
    if (j >= s.length || s[j] === ',' || s[j] === ')') return true;
    if (!isSpace(s[j])) return false;
    let k = j;
    while (isSpace(s[k])) k++;
    return k >= s.length || s[k] === ',' || this.paramAt(k);
  }

  /** a quoted string from the opening quote at this.i: its text */
  quoted(): string {
    const s = this.s;
    const q = s[this.i]!;
    const start = this.i;
    this.i++;
    let out = '';
    // text is copied a run at a time: from `from` up to the next quote or escape
    let from = this.i;
    while (this.i < s.length) {
      const ch = s[this.i]!;
      if (q === '"' && ch === '`' && s[this.i + 1] === '"') {
        out += `${s.slice(from, this.i)}"`;
        this.i += 2;
        from = this.i;
        continue;
      }
      if (ch === q) {
        if (this.boundaryAt(this.i + 1)) {
          out += s.slice(from, this.i);
          this.i++;
          return out;
        }
        // doubled: an escaped quote, unless the second one ends the value (a raw quote, then the end)
        if (s[this.i + 1] === q && !this.boundaryAt(this.i + 2)) {
          out += s.slice(from, this.i + 1);
          this.i += 2;
          from = this.i;
          continue;
        }
      }
      this.i++;
    }
    out += s.slice(from);
    this.malformed ??= `unterminated quote at column ${start + 1}`;
    return out;
  }

  /** one element of a value: quoted, a constant, or a bare word */
  element(): string | null {
    const s = this.s;
    const ch = s[this.i];
    if (ch === '"' || ch === "'") return this.quoted();
    const start = this.i;
    while (this.i < s.length && !isSpace(s[this.i]) && s[this.i] !== ',' && s[this.i] !== ')') this.i++;
    const word = s.slice(start, this.i);
    const c = constant(word);
    return c === undefined ? word : c;
  }

  /** a value: elements separated by commas (@(…) around them is dropped) */
  value(): (string | null)[] {
    const s = this.s;
    let array = false;
    if (s.startsWith('@(', this.i)) {
      array = true;
      this.i += 2;
      this.skipSpace();
    }
    const out: (string | null)[] = [];
    for (let n = 0; n < MAX_PARAMS && this.i < s.length; n++) {
      if (array && s[this.i] === ')') break;
      out.push(this.element());
      let k = this.i;
      while (isSpace(s[k])) k++;
      if (s[k] !== ',') break;
      this.i = k + 1;
      this.skipSpace();
    }
    if (array) {
      this.skipSpace();
      if (s[this.i] === ')') this.i++;
    }
    return out;
  }
}

/** the elements of a value: a quoted element holding commas is a list too ("Receive-As, Send-As") */
function items(elements: readonly (string | null)[]): (string | null)[] {
  return elements.flatMap((e) => (e?.includes(',') ? e.split(',').map((x) => x.trim()) : [e === null ? null : e.trim()]));
}

function param(name: string, elements: readonly (string | null)[]): CmdletParam {
  const value = elements.length === 1 ? elements[0]! : elements.map((e) => e ?? '$null').join(', ');
  return { name, value, items: items(elements) };
}

/** Exchange 2010's form: {Name=value, Name=value} */
function parseBraces(s: string): ParsedParams {
  const inner = s.slice(1, -1);
  const params: CmdletParam[] = [];
  const starts = [...inner.matchAll(/(?:^|, )([A-Za-z_][A-Za-z0-9_]*)=/g)];
  for (const [n, m] of starts.slice(0, MAX_PARAMS).entries()) {
    const from = m.index + m[0].length;
    const to = n + 1 < starts.length ? starts[n + 1]!.index : inner.length;
    const v = inner.slice(from, to);
    params.push(param(m[1]!, [v === '' ? null : v]));
  }
  return { params };
}

/** the parameters of a cmdlet log's parameters text; never throws */
export function parseCmdletParams(text: string): ParsedParams {
  const cut = text.length > MAX_CHARS;
  const s = (cut ? text.slice(0, MAX_CHARS) : text).trim();
  if (/^\{[A-Za-z_][A-Za-z0-9_]*=/.test(s) && s.endsWith('}')) return parseBraces(s);
  const sc = new Scanner(s);
  const params: CmdletParam[] = [];
  while (params.length < MAX_PARAMS) {
    sc.skipSpace();
    if (sc.i >= s.length) break;
    if (!sc.paramAt(sc.i)) {
      // a positional value (typed: Set-Mailbox bob …): not a parameter of any name
      const before = sc.i;
      sc.value();
      if (sc.i === before) sc.i++;
      continue;
    }
    let j = sc.i + 1;
    while (isNameChar(s[j])) j++;
    const name = s.slice(sc.i + 1, j);
    sc.i = j;
    if (s[j] === ':') {
      sc.i++;
      sc.skipSpace();
      params.push(param(name, sc.i < s.length ? sc.value() : [null]));
      continue;
    }
    sc.skipSpace();
    // a switch: nothing follows, or the next parameter does
    if (sc.i >= s.length || sc.paramAt(sc.i)) params.push(param(name, ['True']));
    else params.push(param(name, sc.value()));
  }
  const malformed = [
    sc.malformed,
    cut && `the text is longer than ${MAX_CHARS} characters: the rest is not read`,
    params.length >= MAX_PARAMS && `more than ${MAX_PARAMS} parameters: the rest are not read`,
  ]
    .filter(Boolean)
    .join('; ');
  return malformed ? { params, malformed } : { params };
}

// ---- the condition ----

/** what a `param` condition asks of the parameters text */
export interface ParamTest {
  /** parameter names (any of them), compared without regard to case as PowerShell binds them */
  readonly names: readonly string[];
  /** set: bound, whatever its value; not-null (the default): bound to a value other than $null and "" */
  readonly is: 'set' | 'not-null';
  /** the value, or one element of its list, is one of these (without regard to case; $true is True) */
  readonly equals?: readonly string[];
  /** the value, or one element of its list, matches this expression (JavaScript, without regard to case) */
  readonly matches?: RegExp;
}

const norm = (v: string | null) => (v === null ? null : (constant(v.trim()) ?? v.trim()).toLowerCase());

/** does one parameter meet the test's condition on its value? */
function valueHolds(p: CmdletParam, t: ParamTest): boolean {
  const candidates = [p.value, ...(p.items.length > 1 ? p.items : [])];
  const present = candidates.filter((v): v is string => v !== null && v.trim() !== '');
  if (t.equals) {
    const want = new Set(t.equals.map((e) => norm(e)));
    return present.some((v) => want.has(norm(v)));
  }
  if (t.matches) {
    const re = t.matches;
    return present.some((v) => re.test(v));
  }
  return t.is === 'set' || present.length > 0;
}

// one text parsed at a time is kept: the conditions of a row's rules read the same %2 one after another
let last: { text: string; parsed: ParsedParams } | undefined;

export function parsedOnce(text: string): ParsedParams {
  if (last?.text !== text) last = { text, parsed: parseCmdletParams(text) };
  return last.parsed;
}

/** does the parameters text bind one of the test's parameters with a value as it asks? never throws */
export function paramHolds(text: string, t: ParamTest): boolean {
  const names = new Set(t.names.map((n) => n.toLowerCase()));
  return parsedOnce(text).params.some((p) => names.has(p.name.toLowerCase()) && valueHolds(p, t));
}
