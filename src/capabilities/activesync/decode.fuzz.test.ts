// The ActiveSync decoders fed by fast-check (bounded runs in `npm test`, many in `npm run fuzz`):
//   - the Log= decoder on mutations of every Log= value of the corpus (characters of the Log
//     alphabet, %-escapes, huge and signed numbers, broken surrogates, ranges deleted, repeated,
//     cut): it never throws, loses no text (the elements joined give the input back without its
//     empty elements), the fast summary equals the summary of the decoded elements, and every
//     count is a whole number ≥ 0; a Log= of 1 MiB decodes in bounded time;
//   - the base64 query decoder (MS-ASHTTP 2.2.1.1.1.1) on requests built here from random fields
//     by the spec's layout, which must decode to exactly those fields, and on random byte flips and
//     cuts of real blobs, which must give undefined or a well-formed request, never a throw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { decodeLog, isLog2003, summarize, summarizeLog, type DecodedElement, type LogSummary } from './decode.js';
import { decodeBase64Query } from './base64-query.js';
import { commandCodes } from './elements.js';
import { repoPath } from '../../testing/paths.js';
import { fuzzParams } from '../../testing/fuzz.js';

// ---- Log= --------------------------------------------------------------------------------------

const logs: string[] = [];
{
  const dir = repoPath('fixtures', 'corpus', 'iis_activesync');
  for (const file of readdirSync(dir).filter((f) => !f.endsWith('.json'))) {
    for (const m of readFileSync(join(dir, file), 'utf8').matchAll(/Log=([^&\s]*)/g)) logs.push(m[1]!);
  }
  for (const m of readFileSync(repoPath('fixtures', 'iis', 'eas_log_variants.log'), 'utf8').matchAll(/Log=([^&\s]*)/g)) logs.push(m[1]!);
}

/** the input without its empty elements: what joining the decoded elements must give back */
const normalized = (log: string) =>
  isLog2003(log)
    ? log
    : log
        .split('_')
        .filter((s) => s !== '')
        .join('_');
const rejoined = (els: DecodedElement[], log: string) => els.map((e) => e.key + e.value).join(isLog2003(log) ? '' : '_');

/** every number of a summary, with where it is */
function numbersOf(s: LogSummary): [string, number][] {
  const out: [string, number][] = [];
  for (const [k, v] of Object.entries(s)) if (typeof v === 'number') out.push([k, v]);
  s.collections.forEach((c, i) => {
    if (c.filter !== undefined) out.push([`collections[${i}].filter`, c.filter]);
    for (const [k, v] of Object.entries({ ...c.client, ...c.server })) out.push([`collections[${i}].${k}`, v]);
  });
  return out;
}

const pieces = [
  '_',
  ':',
  '%',
  '%2',
  '%zz',
  '%5F',
  '%3A',
  '%00',
  '%C3%A9',
  '%ED%A0%80',
  'V',
  'V141',
  'Ty:',
  'Em',
  'Cli:',
  'Srv:',
  'Sk:',
  'Pk',
  'Hb',
  'Att',
  'Attb',
  'S',
  'Error:',
  'a',
  'c',
  'd',
  's',
  'e',
  'r',
  'f',
  '0',
  '-1',
  '-0',
  '2147483648',
  '4294967296',
  '9007199254740993',
  '99999999999999999999999',
  '1e9',
  '\u0000',
  '\ud800',
  '\udc00',
  'é',
  '😀',
  ' ',
  '+',
];

type LogEdit =
  | { op: 'insert'; at: number; piece: number }
  | { op: 'delete'; at: number; len: number }
  | { op: 'repeat'; at: number; len: number; times: number }
  | { op: 'cut'; at: number };

const logEdit: fc.Arbitrary<LogEdit> = fc.oneof(
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), piece: fc.nat({ max: pieces.length - 1 }) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ op: fc.constant('repeat' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 30 }), times: fc.integer({ min: 2, max: 50 }) }),
  fc.record({ op: fc.constant('cut' as const), at: fc.nat() }),
);

function editLog(log: string, edits: readonly LogEdit[]): string {
  let s = log;
  for (const e of edits) {
    const at = e.at % (s.length + 1);
    if (e.op === 'insert') s = s.slice(0, at) + pieces[e.piece] + s.slice(at);
    else if (e.op === 'delete') s = s.slice(0, at) + s.slice(at + e.len);
    else if (e.op === 'repeat') s = s.slice(0, at) + s.slice(at, at + e.len).repeat(e.times) + s.slice(at + e.len);
    else s = s.slice(0, at);
  }
  return s;
}

function checkLog(c: string): void {
  const what = JSON.stringify(c.slice(0, 80));
  const els = decodeLog(c);
  assert.equal(rejoined(els, c), normalized(c), what);
  const s = summarizeLog(c);
  assert.deepEqual(s, summarize(els), what);
  for (const e of els) assert.equal(typeof e.meaning, 'string', what);
  for (const [where, n] of numbersOf(s)) assert.ok(Number.isSafeInteger(n) && n >= 0, `${what}: ${where} = ${n}`);
  assert.deepEqual(s.collectionTypes, [...new Set(s.collections.map((x) => x.type))], what);
}

test('fuzz Log=: mutated corpus values never throw, lose no text, and summarize to whole counts ≥ 0', () => {
  assert.ok(logs.length >= 12, `found ${logs.length} Log= values`);
  fc.assert(
    fc.property(fc.constantFrom(...logs), fc.array(logEdit, { minLength: 1, maxLength: 8 }), (log, edits) => checkLog(editLog(log, edits))),
    fuzzParams(1000),
  );
});

test('fuzz Log=: any string of Log characters (and a 1 MiB one) decodes in bounded time', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 200 }), (parts) => checkLog(parts.join(''))),
    fuzzParams(1000),
  );
  const big = logs.join('_').repeat(Math.ceil((1 << 20) / logs.join('_').length));
  const t0 = performance.now();
  checkLog(big);
  const ms = performance.now() - t0;
  // a hang, not a speed figure (npm run bench measures speed): linear decoding takes ~0.1 s
  assert.ok(ms < 20_000, `a 1 MiB Log= took ${Math.round(ms)} ms`);
});

// ---- base64 queries ----------------------------------------------------------------------------

interface Built {
  protocol: number;
  code: number;
  locale: number;
  id: Uint8Array;
  policyKey: number | undefined;
  type: string;
  params: { tag: number; value: Uint8Array }[];
}

/** MS-ASHTTP 2.2.1.1.1.1's layout, written here independently of the decoder */
function encode(r: Built): string {
  const bytes = [r.protocol, r.code, r.locale & 0xff, r.locale >> 8, r.id.length, ...r.id];
  if (r.policyKey === undefined) bytes.push(0);
  else bytes.push(4, r.policyKey & 0xff, (r.policyKey >>> 8) & 0xff, (r.policyKey >>> 16) & 0xff, r.policyKey >>> 24);
  const type = Buffer.from(r.type, 'latin1');
  bytes.push(type.length, ...type);
  for (const p of r.params) bytes.push(p.tag, p.value.length, ...p.value);
  return Buffer.from(bytes).toString('base64');
}

const built: fc.Arbitrary<Built> = fc.record({
  protocol: fc.integer({ min: 10, max: 200 }),
  code: fc.nat({ max: 255 }),
  locale: fc.nat({ max: 0xffff }),
  id: fc.uint8Array({ minLength: 1, maxLength: 40 }),
  policyKey: fc.option(fc.nat({ max: 0xffffffff }), { nil: undefined }),
  type: fc.string({ unit: fc.integer({ min: 32, max: 126 }).map((c) => String.fromCharCode(c)), maxLength: 30 }),
  params: fc.array(fc.record({ tag: fc.nat({ max: 255 }), value: fc.uint8Array({ maxLength: 60 }) }), { maxLength: 4 }),
});

test('fuzz base64 query: a request built by the spec decodes to exactly its fields', () => {
  fc.assert(
    fc.property(built, (r) => {
      const text = encode(r);
      fc.pre(text.length >= 12);
      const d = decodeBase64Query(text);
      const printable = r.id.every((c) => c > 32 && c < 127);
      const users = r.params.filter((p) => p.tag === 8);
      const user = users.length ? Buffer.from(users[users.length - 1]!.value).toString('utf8') : undefined;
      assert.deepEqual(d, {
        protocol: r.protocol,
        command: commandCodes[r.code] ?? `code ${r.code}`,
        locale: r.locale,
        deviceId: printable ? Buffer.from(r.id).toString('latin1') : Buffer.from(r.id).toString('hex').toUpperCase(),
        ...(r.policyKey !== undefined ? { policyKey: r.policyKey } : {}),
        deviceType: r.type,
        ...(user !== undefined ? { user } : {}),
      });
    }),
    fuzzParams(500),
  );
});

const blobs = [...readFileSync(repoPath('fixtures', 'iis', 'base64_query.log'), 'utf8').matchAll(/ POST \S+ ([^\s&]+)/g)].map((m) => decodeURIComponent(m[1]!));

test('fuzz base64 query: flipped, cut and lengthened blobs give undefined or a well-formed request, never a throw', () => {
  assert.ok(blobs.filter((b) => decodeBase64Query(b)).length >= 3, 'the fixture has real blobs');
  fc.assert(
    fc.property(
      fc.constantFrom(...blobs),
      fc.array(fc.record({ at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }), cut: fc.boolean(), grow: fc.nat({ max: 8 }) }), { minLength: 1, maxLength: 4 }),
      fc.boolean(),
      (blob, edits, asText) => {
        let text: string;
        if (asText) {
          // text edits: characters outside base64, padding in the middle
          text = blob;
          for (const e of edits) {
            const at = e.at % (text.length + 1);
            text = e.cut ? text.slice(0, at) : text.slice(0, at) + '=%/+-_ \u00e9'[e.xor % 9] + text.slice(at);
          }
        } else {
          let b = Buffer.from(blob, 'base64');
          for (const e of edits) {
            if (b.length) b[e.at % b.length] ^= e.xor;
            if (e.cut) b = b.subarray(0, e.at % (b.length + 1));
            if (e.grow) b = Buffer.concat([b, Buffer.alloc(e.grow, e.xor)]);
          }
          text = b.toString('base64');
        }
        const d = decodeBase64Query(text);
        if (d === undefined) return;
        assert.ok(Number.isInteger(d.protocol) && d.protocol >= 10 && d.protocol <= 200, text);
        assert.ok(typeof d.command === 'string' && d.command.length > 0, text);
        assert.ok(Number.isInteger(d.locale) && d.locale >= 0 && d.locale <= 0xffff, text);
        assert.equal(typeof d.deviceId, 'string', text);
        assert.ok(d.policyKey === undefined || (Number.isInteger(d.policyKey) && d.policyKey >= 0 && d.policyKey <= 0xffffffff), text);
        assert.equal(typeof d.deviceType, 'string', text);
      },
    ),
    fuzzParams(1000),
  );
});
