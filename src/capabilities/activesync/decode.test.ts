import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeLog, isLog2003, summarize, summarizeLog, urlDecode, type DecodedElement, type LogSummary } from './decode.js';
import { easStatuses, element2003For, elementFor, elements, elements2003, httpStatuses } from './elements.js';
import { repoPath } from '../../testing/paths.js';

/** [key, value, name, meaning] of each element */
const table = (els: DecodedElement[]) => els.map((e) => [e.key, e.value, e.name, e.meaning]);

/** the input without its empty elements: what joining the decoded elements must give back */
function normalized(log: string): string {
  return isLog2003(log)
    ? log
    : log
        .split('_')
        .filter((s) => s !== '')
        .join('_');
}

function rejoined(els: DecodedElement[], log: string): string {
  return els.map((e) => e.key + e.value).join(isLog2003(log) ? '' : '_');
}

// ---- the seed's four worked examples, as it translates them ----------------------------------

test('seed: Sync example decodes as the seed translates it', () => {
  const els = decodeLog('V120_Ty:Em_Fid:37_Fc1_Filt2_St:S_Sk:1805_Srv:1a0c0d0s0e0r_Pk2260121383_S1_');
  assert.deepEqual(table(els), [
    ['V', '120', 'Protocol Version', '12'],
    ['Ty:', 'Em', 'Type', 'Email'],
    ['Fid:', '37', 'Folder ID', '37'],
    ['Fc', '1', 'Folder Count', '1'],
    ['Filt', '2', 'Filter Type', '3 days back'],
    ['St:', 'S', 'Sync Type', 'Subsequent sync'],
    ['Sk:', '1805', 'Sync Key', '1805'],
    ['Srv:', '1a0c0d0s0e0r', 'Server Stats', 'Adds 1, Changes 0, Deletes 0, Soft-Deletes 0, Errors 0, Read Flag Changes 0'],
    ['Pk', '2260121383', 'Policy Key', '2260121383'],
    ['S', '1', 'Status', '1'],
  ]);
  assert.deepEqual(els[7]!.parts, { adds: 1, changes: 0, deletes: 0, softDeletes: 0, errors: 0, readFlagChanges: 0 });
  // the seed's translation also lists client stats of 0: the Log has no Cli:, so none are counted
  const s = summarize(els);
  assert.equal(s.protocolVersion, '12.0');
  assert.deepEqual(s.collectionTypes, ['Em']);
  assert.equal(s.syncType, 'S');
  assert.equal(s.status, 1);
  assert.equal(s.serverAdds, 1);
  assert.equal(s.clientAdds, undefined);
  assert.equal(s.policyKey, 2260121383);
  assert.deepEqual(s.collections, [
    { type: 'Em', folderId: '37', filter: 2, syncType: 'S', server: { adds: 1, changes: 0, deletes: 0, softDeletes: 0, errors: 0, readFlagChanges: 0 } },
  ]);
});

test('seed: FolderSync example', () => {
  assert.deepEqual(table(decodeLog('V120_St:S_Pk3518147315')), [
    ['V', '120', 'Protocol Version', '12'],
    ['St:', 'S', 'Sync Type', 'Subsequent sync'],
    ['Pk', '3518147315', 'Policy Key', '3518147315'],
  ]);
});

test('seed: GetItemEstimate example', () => {
  const els = decodeLog('V120_Fc8_Pk2538642603_S1');
  assert.deepEqual(table(els), [
    ['V', '120', 'Protocol Version', '12'],
    ['Fc', '8', 'Folder Count', '8'],
    ['Pk', '2538642603', 'Policy Key', '2538642603'],
    ['S', '1', 'Status', '1'],
  ]);
  assert.equal(summarize(els).folderCount, 8);
});

test('seed: Ping example', () => {
  const els = decodeLog('V120_Hb780_S1');
  assert.deepEqual(table(els), [
    ['V', '120', 'Protocol Version', '12'],
    ['Hb', '780', 'Heartbeat Interval', '780 sec (13min)'],
    ['S', '1', 'Status', '1'],
  ]);
  assert.equal(summarize(els).heartbeat, 780);
});

// ---- the Exchange 2003 form ------------------------------------------------------------------

test('2003: the 2005 blog sample (Sync of contacts, the server sent one add)', () => {
  const log = 'V2TCoSSC:0A0C0D0FS:1A0C0D0SP:1C2I105992S109982R';
  assert.ok(isLog2003(log));
  const els = decodeLog(log);
  assert.deepEqual(table(els), [
    ['V', '2', 'Protocol Version', '2.0'],
    ['T', 'Co', 'Type', 'Contacts'],
    ['S', 'S', 'Sync Type', 'Subsequent sync'],
    ['C:', '0A0C0D0F', 'Client Stats', 'Adds 0, Changes 0, Deletes 0, Fetches 0'],
    ['S:', '1A0C0D0S', 'Server Stats', 'Adds 1, Changes 0, Deletes 0, Soft-Deletes 0'],
    ['P:', '1C2I105992S109982R', 'Performance', 'C 1, I 2, S 105992, R 109982'],
  ]);
  assert.deepEqual(els[5]!.parts, { C: 1, I: 2, S: 105992, R: 109982 });
  assert.equal(rejoined(els, log), log);
  const s = summarize(els);
  assert.equal(s.format, '2003');
  assert.equal(s.protocolVersion, '2.0');
  assert.deepEqual(s.collectionTypes, ['Co']);
  assert.equal(s.syncType, 'S');
  assert.equal(s.serverAdds, 1);
  assert.equal(s.clientAdds, 0);
  assert.equal(s.status, undefined);
});

test('2003: the SP2 Ping (V4, no collection, longer P: with a repeated S)', () => {
  const log = 'V4TNASNC:0A0C0D0FS:0A0C0D0SP:2C14I7546S161180R0S0L1740H0P';
  const els = decodeLog(log);
  assert.deepEqual(table(els).slice(0, 3), [
    ['V', '4', 'Protocol Version', '2.5'],
    ['T', 'NA', 'Type', 'None'],
    ['S', 'N', 'Sync Type', 'Not a sync'],
  ]);
  assert.deepEqual(els[5]!.parts, { C: 2, I: 14, S: 7546, R: 161180, 'S#2': 0, L: 0, H: 1740, P: 0 });
  assert.equal(rejoined(els, log), log);
  const s = summarizeLog(log);
  assert.equal(s.format, '2003');
  assert.equal(s.protocolVersion, '2.5');
  assert.deepEqual(s.collectionTypes, []);
  assert.equal(s.syncType, undefined);
});

// ---- 2010+ elements, repeats, unknowns -------------------------------------------------------

test('multi-collection Sync: Ty once per collection, in order; counts summed', () => {
  const log = 'V141_Ty:Em_Fid:5_Filt3_St:S_Cli:0a1c0d0f0e_Srv:3a0c1d0s0e2r_Ty:Ca_Fid:1_St:F_Srv:25a0c0d0s0e0r_Ty:Em_Fid:9_S1';
  const els = decodeLog(log);
  assert.deepEqual(
    els.filter((e) => e.key === 'Ty:').map((e) => e.meaning),
    ['Email', 'Calendar', 'Email'],
  );
  const s = summarizeLog(log);
  assert.deepEqual(s.collectionTypes, ['Em', 'Ca']);
  assert.deepEqual(
    s.collections.map((c) => [c.type, c.folderId, c.syncType]),
    [
      ['Em', '5', 'S'],
      ['Ca', '1', 'F'],
      ['Em', '9', undefined],
    ],
  );
  assert.equal(s.syncType, 'S');
  assert.deepEqual(s.syncTypes, ['S', 'F']);
  assert.equal(s.serverAdds, 28);
  assert.equal(s.serverDeletes, 1);
  assert.equal(s.serverReadFlagChanges, 2);
  assert.equal(s.clientChanges, 1);
});

test('2010+ counters keep the undocumented A and sd letters under their own names', () => {
  const [srv] = decodeLog('Srv:6a0c0d0s0e0r0A0sd');
  assert.deepEqual(srv!.parts, { adds: 6, changes: 0, deletes: 0, softDeletes: 0, errors: 0, readFlagChanges: 0, A: 0, sd: 0 });
  assert.equal(srv!.meaning, 'Adds 6, Changes 0, Deletes 0, Soft-Deletes 0, Errors 0, Read Flag Changes 0, A 0, sd 0');
});

test('the TechNet upper-case form Svr:2A0C2D1F1E reads like the lower-case one', () => {
  const [svr] = decodeLog('Svr:2A0C2D1F1E');
  assert.deepEqual(svr!.parts, { adds: 2, changes: 0, deletes: 2, fetches: 1, errors: 1 });
  assert.equal(summarizeLog('Svr:2A0C2D1F1E').serverAdds, 2);
});

test('colon and digit forms of the same element, signed numbers, Ver1:, Tm*', () => {
  assert.deepEqual(table(decodeLog('Pk:4016830080_Throttle:0_Fet:6014_Ver1:160_CmdHC-813709136_TmTr:a%2cb')), [
    ['Pk:', '4016830080', 'Policy Key', '4016830080'],
    ['Throttle:', '0', 'Throttling Delay', '0'],
    ['Fet:', '6014', 'Fet', '6014'],
    ['Ver1:', '160', 'Protocol Version (2016 form)', '16.0'],
    ['CmdHC', '-813709136', 'Command Hash Code', '-813709136'],
    ['TmTr:', 'a%2cb', 'Timing', 'a,b'],
  ]);
});

test('strings are URL-decoded exactly once: %2512 is %12, never a control character', () => {
  const [prx, hh, dev, err] = decodeLog('PrxFrom:fe80%3a%3a2063%3a570a%3a9da1%3a9b71%2512_HH:mail.contoso.com%3a444_DevOS:iOS+9.2+13C71_Error:PolicyRefresh');
  assert.equal(prx!.meaning, 'fe80::2063:570a:9da1:9b71%12');
  assert.equal(hh!.meaning, 'mail.contoso.com:444');
  assert.equal(dev!.meaning, 'iOS 9.2 13C71');
  assert.equal(err!.meaning, 'PolicyRefresh');
  assert.deepEqual(summarizeLog('S143_Error:PolicyRefresh_Error:Sync%5FState').errors, ['PolicyRefresh', 'Sync_State']);
});

test('urlDecode: the rules of url.ts', () => {
  assert.equal(urlDecode('a+b'), 'a b');
  assert.equal(urlDecode('%2512'), '%12');
  assert.equal(urlDecode('%zz%'), '%zz%');
  assert.equal(urlDecode('a%00b%1Fc%7F'), 'a%00b%1Fc%7F');
  assert.equal(urlDecode('fran%C3%A7ais'), 'français');
  assert.equal(urlDecode('bad%FFbyte'), 'bad%FFbyte'); // not UTF-8: as logged
  assert.equal(urlDecode('%5F%5f'), '__');
});

test('status codes and enum values get their meaning; unknown values say so', () => {
  assert.deepEqual(
    table(decodeLog('S143_S132_S7_Filt9_Ty:Xx_Pa3_As:AllowedG_As:QuarantinedD_Ssnf:T')).map((r) => r[3]),
    [
      '143 PolicyRefresh',
      '132 SyncStateNotFound',
      '7',
      '9 (not a known value)',
      'Xx (not a known value)',
      'Failed applying policy',
      'allowed by the organization-wide default access level',
      'quarantined by a device access rule (believed)',
      'yes',
    ],
  );
  assert.equal(decodeLog('Hb1740')[0]!.meaning, '1740 sec (29min)');
  assert.equal(decodeLog('Hb470')[0]!.meaning, '470 sec (7min 50s)');
  assert.equal(decodeLog('Hb7x')[0]!.meaning, '7x (not a number)');
  assert.equal(decodeLog('Srv:abc')[0]!.meaning, 'abc (not a counter list)');
});

test('unknown elements are kept raw, named unknown', () => {
  assert.deepEqual(table(decodeLog('Zz12_Qq:a%2cb_ 9x_')), [
    ['Zz', '12', 'unknown', '12'],
    ['Qq:', 'a%2cb', 'unknown', 'a,b'],
    ['', ' 9x', 'unknown', ' 9x'],
  ]);
});

// ---- every Log= value of the corpus ----------------------------------------------------------

function corpusLogs(): { file: string; log: string }[] {
  const dir = repoPath('fixtures', 'corpus', 'iis_activesync');
  const out: { file: string; log: string }[] = [];
  for (const file of readdirSync(dir).filter((f) => !f.endsWith('.json'))) {
    const text = readFileSync(join(dir, file), 'utf8');
    for (const m of text.matchAll(/Log=([^&\s]*)/g)) out.push({ file, log: m[1]! });
  }
  return out;
}

test('corpus: every Log= value decodes with no element lost', () => {
  const logs = corpusLogs();
  assert.ok(logs.length >= 12, `found ${logs.length} Log= values`);
  for (const { file, log } of logs) {
    const els = decodeLog(log);
    assert.equal(rejoined(els, log), normalized(log), file);
    assert.deepEqual(summarize(els), summarizeLog(log), file);
  }
});

test('corpus: every element of the cleaned samples is in the table', () => {
  for (const { file, log } of corpusLogs()) {
    if (!file.includes('.cleaned.') && !file.includes('pastebin') && !file.includes('techcommunity')) continue;
    if (file.includes('pastebin') && file.includes('.cleaned.')) continue; // same line as the exact copy
    const unknown = decodeLog(log)
      .filter((e) => e.name === 'unknown')
      .map((e) => e.key + e.value);
    assert.deepEqual(unknown, [], `${file}: ${log.slice(0, 60)}`);
  }
});

test('corpus: the KB 2563324 back-end Sync (PolicyRefresh)', () => {
  const log = corpusLogs().find((l) => l.file.startsWith('MicrosoftDocs_KB2563324') && l.file.includes('.cleaned.'))!.log;
  const s = summarizeLog(log);
  assert.equal(s.protocolVersion, '14.1');
  assert.equal(s.status, 143);
  assert.deepEqual(s.errors, ['PolicyRefresh']);
  assert.equal(s.policyKey, 3609689902);
  assert.equal(s.deviceOS, 'Android 4.1.2');
  assert.equal(s.mailboxServer, 'CLT-E15-MBX1.contoso.local');
  assert.equal(s.accessState, 'AllowedG');
  const tm = decodeLog(log).find((e) => e.key === 'TmTr:')!;
  assert.match(tm.meaning, /^TID:18>>\[ID:H_EPR,Start:2:40:30 PM,End:2:40:30 PM,Excl:0 ms,/);
});

// ---- garbage: properties that hold for any input -------------------------------------------

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

/** the input with `n` random edits (insert, delete, replace) from an alphabet of Log= characters */
function mutate(log: string, n: number, rnd: () => number): string {
  const alphabet = 'V1_:%-09aAcCdDeEfFsSrRTyEmCaPkPaAttbSrvCli';
  let s = log;
  for (let k = 0; k < n; k++) {
    const at = Math.floor(rnd() * (s.length + 1));
    const ch = alphabet[Math.floor(rnd() * alphabet.length)]!;
    const op = Math.floor(rnd() * 3);
    s = op === 0 ? s.slice(0, at) + ch + s.slice(at) : op === 1 ? s.slice(0, at) + s.slice(at + 1) : s.slice(0, at) + ch + s.slice(at + 1);
  }
  return s;
}

test('garbage and mutated corpus values: never a throw, no text lost, the fast summary equals the full one, only known elements named, counts whole and ≥ 0', () => {
  let seed = 12345;
  const rnd = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const alphabet = 'V1_:%zZ+aA09TSCP-\u0000\u00e9\ud800€ ';
  const cases = [
    '',
    '_',
    '___',
    ':::',
    '%zz',
    '%',
    '%%%',
    '_:_:_',
    'V',
    'VNAT',
    'VNATxxSN',
    'V9TNASNC:',
    ':',
    'Ty:',
    '12345',
    '-1',
    'V2TCoSSC:0A',
    'A'.repeat(10240),
    '_'.repeat(10240),
    'V120_'.repeat(2048),
    '%'.repeat(10240),
    // signed and oversized numbers are not counts
    'V141_Att-1_Attb-5_Ssp-2_Unc-3',
    'V141_Ty:Em_Cli:-1a0c0d_Srv:-3a-1c',
    'V141_Pk99999999999999999999_Fc1234567890123456',
    'V4TEmSSC:-1A0C0D0FS:-2A0C0D0S',
  ];
  for (let i = 0; i < 3000; i++) {
    const len = Math.floor(rnd() * 64);
    let s = '';
    for (let k = 0; k < len; k++) s += alphabet[Math.floor(rnd() * alphabet.length)];
    cases.push(s);
  }
  const big: string[] = [];
  for (let k = 0; k < 10240; k++) big.push(alphabet[Math.floor(rnd() * alphabet.length)]!);
  cases.push(big.join(''));
  for (const { log } of corpusLogs()) for (let i = 0; i < 60; i++) cases.push(mutate(log, 1 + Math.floor(rnd() * 8), rnd));
  for (const c of cases) {
    const what = JSON.stringify(c.slice(0, 60));
    const els = decodeLog(c);
    assert.equal(rejoined(els, c), normalized(c), what);
    const s = summarizeLog(c);
    assert.deepEqual(s, summarize(els), what);
    const is2003 = isLog2003(c);
    for (const e of els) {
      assert.equal(typeof e.meaning, 'string');
      const def = is2003 ? element2003For(e.key) : elementFor(e.key.endsWith(':') ? e.key.slice(0, -1) : e.key);
      assert.equal(e.name, def ? def.name : 'unknown', `${what}: ${e.key}`);
    }
    for (const [where, n] of numbersOf(s)) assert.ok(Number.isSafeInteger(n) && n >= 0, `${what}: ${where} = ${n}`);
    assert.deepEqual(s.collectionTypes, [...new Set(s.collections.map((x) => x.type))], what);
    if (!is2003) assert.equal(s.errors.length, els.filter((e) => e.key === 'Error:').length, what);
  }
  // the signed and oversized values above: not read
  assert.deepEqual(numbersOf(summarizeLog('V141_Att-1_Attb-5_Ssp-2_Unc-3_Pk99999999999999999999_Fc1234567890123456')), [
    ['attachments', 0],
    ['attachmentBytes', 0],
    ['sharePointDocs', 0],
    ['uncFiles', 0],
  ]);
  assert.equal(summarizeLog('V141_Ty:Em_Cli:-1a0c0d_Srv:-3a-1c').clientAdds, undefined);
});

// ---- the tables ------------------------------------------------------------------------------

test('element table: unique keys, names and meanings, every spec element present', () => {
  const keys = elements.map((e) => e.key);
  assert.equal(new Set(keys).size, keys.length);
  for (const e of [...elements, ...elements2003]) assert.ok(e.name && e.meaning, e.key);
  const spec = [
    'V',
    'Ty',
    'Fid',
    'Fc',
    'Filt',
    'St',
    'Sk',
    'Cli',
    'Srv',
    'Svr',
    'E',
    'Io',
    'Hb',
    'Ssp',
    'Sspb',
    'Unc',
    'Uncb',
    'Att',
    'Attb',
    'Pk',
    'Pa',
    'Oof',
    'UserInfo',
    'DevModel',
    'DevIMEI',
    'DevName',
    'DevOS',
    'DevLang',
    'Error',
    'S',
    'Ver1',
    'SC',
    'HH',
    'SmtpAdrs',
    'PrxFrom',
    'PrxTo',
    'As',
    'Mbx',
    'Dc',
    'LdapC',
    'LdapL',
    'RpcC',
    'RpcL',
    'Throttle',
    'Budget',
    'Rto',
    'Cpo',
    'Fet',
    'Sst',
    'Ssnf',
    'Erq',
    'Ers',
    'BR',
    'BPR',
    'SrchP',
    'ItOfd',
    'ActivityContextData',
    'Cafe',
    'TmTr',
  ];
  for (const k of spec) assert.ok(elementFor(k), k);
  assert.equal(elementFor('Tm'), undefined);
});

test('status tables: MS-ASCMD 101–177 complete but for the unassigned 157–159; HTTP statuses of the spec', () => {
  const codes = easStatuses.map((s) => s.code);
  assert.equal(new Set(codes).size, codes.length);
  for (let c = 101; c <= 177; c++) if (c < 157 || c > 159) assert.ok(codes.includes(c), String(c));
  const named = Object.fromEntries(easStatuses.map((s) => [s.code, s.name]));
  assert.equal(named[108], 'DeviceIdMissingOrInvalid');
  assert.equal(named[142], 'DeviceNotProvisioned');
  assert.equal(named[177], 'MaximumDevicesReached');
  for (const c of [200, 401, 403, 449, 451, 500, 503, 507])
    assert.ok(
      httpStatuses.some((h) => h.code === c),
      String(c),
    );
});
