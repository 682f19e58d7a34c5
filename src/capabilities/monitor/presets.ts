// Protocol presets: one YAML file per protocol (presets/smtp.yaml, imap.yaml …), read at run time, so a
// user adds a protocol by adding a file to a folder of their own (`--presets DIR`): its name is the
// URL scheme. A preset is the conversation a healthy instance holds (steps for engine.ts), or
// `http: true` for the HTTP prober. A bad preset file is an error naming the file, line and key.
//
// The build also writes the built-in files parsed (compileBuiltinPresets, into dist/), each with the
// size and time of the file it came from: `mxray check` uses a file's parsed form while the file is
// unchanged, and so starts without the yaml package (a third of its start-up CPU); an edited built-in
// file, and every file of a user's folder, is parsed from its YAML.
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { failureCodes, type FailureCode } from './types.js';

/** the yaml package, loaded when a file is parsed (synchronously: parsing is) */
const yaml = (): typeof import('yaml') => createRequire(import.meta.url)('yaml') as typeof import('yaml');

export type StepCondition = 'credentials' | 'no-credentials' | 'expect';

/** what every step may have: a condition on the target, one on the last reply line, a deadline */
interface StepBase {
  readonly when?: StepCondition;
  /** skip the step when the last reply line matched this regex (FTP: no PASS after `230`) */
  readonly unless?: string;
  readonly timeoutMs?: number;
}

export interface ExpectStep extends StepBase {
  readonly kind: 'expect';
  /** a regex a reply line must match (variables inserted as they are) */
  readonly pattern: string;
  /** a regex of lines to skip (the `250-` lines of a multi-line reply); '' skips any line */
  readonly skip?: string;
  /** the failure code when a line matches neither (default `expect`) */
  readonly failure: FailureCode;
  /** the matched line is the instance's banner: its time is the banner phase, its text the detail */
  readonly banner: boolean;
  /** the reply to the goodbye (QUIT, LOGOUT): waited for at most timeoutMs (GOODBYE_GRACE_MS by
   *  default); none in that time, or the server closing, ends the conversation as well as the reply
   *  would. A reply that does not match still fails */
  readonly goodbye: boolean;
}
export interface SendStep extends StepBase {
  readonly kind: 'send';
  readonly line: string;
}
export interface StartTlsStep extends StepBase {
  readonly kind: 'starttls';
}
export interface CloseStep extends StepBase {
  readonly kind: 'close';
}
export type Step = ExpectStep | SendStep | StartTlsStep | CloseStep;

export interface Preset {
  /** the protocol's name = the URL scheme = the file's name without .yaml */
  readonly name: string;
  readonly file: string;
  /** the service name an instance of it belongs to by default (SMTP, IMAP …) */
  readonly service: string;
  /** the default port; absent: the URL must give one */
  readonly port?: number;
  /** implicit: TLS from the first byte */
  readonly tls: 'none' | 'implicit';
  /** probed by the HTTP prober instead of a conversation */
  readonly http: boolean;
  readonly steps: readonly Step[];
}

/** the variables a `send` line (and an `expect` pattern) may use */
export const presetVariables = ['ehlo', 'user', 'password', 'authPlain', 'imapUser', 'imapPassword', 'expect'] as const;

/** how long a `goodbye` step waits for its reply when the preset gives no timeoutMs */
export const GOODBYE_GRACE_MS = 1000;

export class PresetError extends Error {
  override readonly name = 'PresetError';
}

/** the presets shipped with mxray (src/capabilities/monitor/presets, read from dist/ at run time) */
export const builtinPresetDir = fileURLToPath(new URL('../../../src/capabilities/monitor/presets/', import.meta.url));

const conditions: readonly string[] = ['credentials', 'no-credentials', 'expect'];
const stepKeys = new Set(['expect', 'continue', 'failure', 'banner', 'goodbye', 'send', 'starttls', 'close', 'when', 'unless', 'timeoutMs']);
const presetKeys = new Set(['service', 'port', 'tls', 'http', 'steps']);

/** parse one preset file's text; errors name `file:line: key: problem` */
export function parsePreset(file: string, text: string): Preset {
  const { LineCounter, parseDocument } = yaml();
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const where = (path: (string | number)[]): string => {
    const node = doc.getIn(path, true) as { range?: [number] } | undefined;
    const at = node?.range ? `:${lines.linePos(node.range[0]).line}` : '';
    const key = path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${p}`)).join('');
    return `${file}${at}: ${key ? `${key}: ` : ''}`;
  };
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new PresetError(`${file}:${e.linePos?.[0]?.line ?? 1}: not valid YAML: ${e.message.split('\n')[0]}`);
  }
  const data = doc.toJS() as unknown;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new PresetError(`${file}: expected a mapping with service, port, tls and steps`);
  const o = data as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!presetKeys.has(k)) throw new PresetError(`${where([k])}unknown key (known: ${[...presetKeys].join(', ')})`);
  const name = basename(file, extname(file));
  if (!/^[a-z][a-z0-9+.-]*$/.test(name)) throw new PresetError(`${file}: the file name must be a URL scheme (lower-case letters, digits, + . -)`);
  const service = o.service ?? name.toUpperCase();
  if (typeof service !== 'string' || service === '') throw new PresetError(`${where(['service'])}expected a name`);
  const port = o.port;
  if (port !== undefined && !(Number.isInteger(port) && (port as number) >= 1 && (port as number) <= 65535))
    throw new PresetError(`${where(['port'])}expected a port 1-65535, got ${JSON.stringify(port)}`);
  const tls = o.tls ?? 'none';
  if (tls !== 'none' && tls !== 'implicit') throw new PresetError(`${where(['tls'])}expected none or implicit, got ${JSON.stringify(tls)}`);
  const http = o.http ?? false;
  if (typeof http !== 'boolean') throw new PresetError(`${where(['http'])}expected true or false`);
  const rawSteps = o.steps ?? [];
  if (!Array.isArray(rawSteps)) throw new PresetError(`${where(['steps'])}expected a list of steps`);
  if (http && rawSteps.length > 0) throw new PresetError(`${where(['steps'])}an http preset has no steps`);
  const steps = rawSteps.map((raw, i) => parseStep(raw, i, where));
  return { name, file, service, port: port as number | undefined, tls, http, steps };
}

function checkVariables(text: string, at: string): void {
  for (const m of text.matchAll(/\$\{([^}]*)\}/g)) {
    if (!(presetVariables as readonly string[]).includes(m[1]!))
      throw new PresetError(`${at}unknown variable \${${m[1]}} (known: ${presetVariables.join(', ')})`);
  }
}

function checkRegex(text: string, at: string): void {
  checkVariables(text, at);
  try {
    new RegExp(text.replace(/\$\{[^}]*\}/g, 'x'));
  } catch (e) {
    throw new PresetError(`${at}not a valid regular expression: ${(e as Error).message}`);
  }
}

function parseStep(raw: unknown, i: number, where: (p: (string | number)[]) => string): Step {
  const at = (k?: string) => where(k ? ['steps', i, k] : ['steps', i]);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new PresetError(`${at()}expected a step (expect, send, starttls or close)`);
  const s = raw as Record<string, unknown>;
  for (const k of Object.keys(s)) if (!stepKeys.has(k)) throw new PresetError(`${at(k)}unknown key (known: ${[...stepKeys].join(', ')})`);
  const kinds = ['expect', 'send', 'starttls', 'close'].filter((k) => k in s);
  if (kinds.length !== 1) throw new PresetError(`${at()}a step has exactly one of expect, send, starttls, close (got ${kinds.join(', ') || 'none'})`);
  const when = s.when;
  if (when !== undefined && !conditions.includes(when as string)) throw new PresetError(`${at('when')}expected one of ${conditions.join(', ')}`);
  const timeoutMs = s.timeoutMs;
  if (timeoutMs !== undefined && !(Number.isInteger(timeoutMs) && (timeoutMs as number) > 0))
    throw new PresetError(`${at('timeoutMs')}expected milliseconds > 0`);
  if (s.unless !== undefined) {
    if (typeof s.unless !== 'string') throw new PresetError(`${at('unless')}expected a regular expression`);
    checkRegex(s.unless, at('unless'));
  }
  const common = { when: when as StepCondition | undefined, unless: s.unless as string | undefined, timeoutMs: timeoutMs as number | undefined };
  const only = (allowed: string[]) => {
    for (const k of Object.keys(s))
      if (!allowed.includes(k) && k !== 'when' && k !== 'unless' && k !== 'timeoutMs') throw new PresetError(`${at(k)}not a key of a ${kinds[0]} step`);
  };
  switch (kinds[0]) {
    case 'expect': {
      only(['expect', 'continue', 'failure', 'banner', 'goodbye']);
      if (typeof s.expect !== 'string') throw new PresetError(`${at('expect')}expected a regular expression`);
      checkRegex(s.expect, at('expect'));
      if (s.continue !== undefined) {
        if (typeof s.continue !== 'string') throw new PresetError(`${at('continue')}expected a regular expression`);
        checkRegex(s.continue, at('continue'));
      }
      const failure = s.failure ?? 'expect';
      if (!(failureCodes as readonly string[]).includes(failure as string))
        throw new PresetError(`${at('failure')}expected one of ${failureCodes.join(', ')}, got ${JSON.stringify(failure)}`);
      if (s.banner !== undefined && typeof s.banner !== 'boolean') throw new PresetError(`${at('banner')}expected true or false`);
      if (s.goodbye !== undefined && typeof s.goodbye !== 'boolean') throw new PresetError(`${at('goodbye')}expected true or false`);
      const goodbye = s.goodbye === true;
      return {
        kind: 'expect',
        pattern: s.expect,
        skip: s.continue as string | undefined,
        failure: failure as FailureCode,
        banner: s.banner === true,
        goodbye,
        ...common,
        timeoutMs: common.timeoutMs ?? (goodbye ? GOODBYE_GRACE_MS : undefined),
      };
    }
    case 'send':
      only(['send']);
      if (typeof s.send !== 'string') throw new PresetError(`${at('send')}expected the line to send`);
      if (/[\r\n]/.test(s.send)) throw new PresetError(`${at('send')}one line, without CR or LF (the engine ends it with CRLF)`);
      checkVariables(s.send, at('send'));
      return { kind: 'send', line: s.send, ...common };
    case 'starttls':
      only(['starttls']);
      if (s.starttls !== true) throw new PresetError(`${at('starttls')}expected true`);
      return { kind: 'starttls', ...common };
    default:
      only(['close']);
      if (s.close !== true) throw new PresetError(`${at('close')}expected true`);
      return { kind: 'close', ...common };
  }
}

export type PresetSet = ReadonlyMap<string, Preset>;

/** the presets by name, a file parsed when its name is first asked for: a check of 1,000 SMTP
 *  instances reads smtp.yaml only, not the fourteen built-in files (YAML parsing with line positions
 *  is the slow part of starting a check) */
class Presets implements PresetSet {
  /** name → the file it comes from (a later folder's file replaces an earlier one's); `parsed`: the
   *  presets already read */
  constructor(
    private readonly files: ReadonlyMap<string, string>,
    private readonly parsed: Map<string, Preset>,
  ) {}

  get(name: string): Preset | undefined {
    let p = this.parsed.get(name);
    if (p) return p;
    const file = this.files.get(name);
    if (file === undefined) return undefined;
    p = compiledPreset(file) ?? parsePreset(file, readFileSync(file, 'utf8'));
    this.parsed.set(name, p);
    return p;
  }
  has(name: string): boolean {
    return this.files.has(name);
  }
  get size(): number {
    return this.files.size;
  }
  keys(): MapIterator<string> {
    return this.files.keys();
  }
  *entries(): MapIterator<[string, Preset]> {
    for (const name of this.files.keys()) yield [name, this.get(name)!];
  }
  *values(): MapIterator<Preset> {
    for (const name of this.files.keys()) yield this.get(name)!;
  }
  [Symbol.iterator](): MapIterator<[string, Preset]> {
    return this.entries();
  }
  forEach(fn: (value: Preset, key: string, map: PresetSet) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) fn.call(thisArg, v, k, this);
  }
}

const cache = new Map<string, PresetSet>();

/** where the build writes the built-in presets parsed (beside this module in dist/) */
export const compiledPresetsFile = fileURLToPath(new URL('./presets.compiled.json', import.meta.url));

interface CompiledPreset {
  /** the file's name in builtinPresetDir, its size and modification time when it was parsed */
  readonly file: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly preset: Omit<Preset, 'file'>;
}

let compiled: Map<string, CompiledPreset> | null | undefined;

/** the parsed form of a built-in preset file, when the build made one and the file is unchanged since */
function compiledPreset(file: string): Preset | undefined {
  if (compiled === undefined) {
    try {
      const list = JSON.parse(readFileSync(compiledPresetsFile, 'utf8')) as CompiledPreset[];
      compiled = new Map(list.map((c) => [join(builtinPresetDir, c.file), c]));
    } catch {
      compiled = null;
    }
  }
  const c = compiled?.get(file);
  if (!c) return undefined;
  try {
    const st = statSync(file);
    if (st.size !== c.size || st.mtimeMs !== c.mtimeMs) return undefined;
  } catch {
    return undefined;
  }
  return { ...c.preset, file };
}

/** for the build: parse every built-in preset file and write them to compiledPresetsFile */
export function compileBuiltinPresets(): number {
  const list: CompiledPreset[] = readdirSync(builtinPresetDir)
    .filter((n) => /\.ya?ml$/i.test(n))
    .sort()
    .map((n) => {
      const file = join(builtinPresetDir, n);
      const st = statSync(file);
      const { file: _, ...preset } = parsePreset(file, readFileSync(file, 'utf8'));
      return { file: n, size: st.size, mtimeMs: st.mtimeMs, preset };
    });
  writeFileSync(compiledPresetsFile, `${JSON.stringify(list)}\n`);
  compiled = undefined;
  return list.length;
}

/** the built-in presets, then those of `dirs` (a file there replaces a built-in one of its name).
 *  A user's folder is parsed whole at once, so a broken file there is reported even when no URL uses
 *  it; the built-in files (tested) are parsed when first used */
export function loadPresets(dirs: readonly string[] = []): PresetSet {
  const key = dirs.join('\0');
  const hit = cache.get(key);
  if (hit) return hit;
  const files = new Map<string, string>();
  const parsed = new Map<string, Preset>();
  for (const dir of [builtinPresetDir, ...dirs]) {
    let names: string[];
    try {
      names = readdirSync(dir).filter((n) => /\.ya?ml$/i.test(n));
    } catch (e) {
      throw new PresetError(`${dir}: cannot read the presets folder: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    for (const n of names.sort()) {
      const file = join(dir, n);
      files.set(basename(file, extname(file)), file);
      if (dir !== builtinPresetDir) {
        const p = parsePreset(file, readFileSync(file, 'utf8'));
        parsed.set(p.name, p);
      }
    }
  }
  const out = new Presets(files, parsed);
  cache.set(key, out);
  return out;
}
