import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { iis } from './iis.js';
import { formatList } from '../registry.js';
import type { Parser, RejectReason } from '../types.js';
import { parseWith, assertGolden, type Parsed } from '../../testing/formats.js';
import { repoPath } from '../../testing/paths.js';
import { TsvWriter, parseTsv } from '../../schema/tsv.js';
import { iisRequests } from '../../schema/tables.js';
import { cutLogValue, fullUriQuery, logValueRange } from './query.js';

const corpusDir = repoPath('fixtures', 'corpus', 'iis_activesync');
const synthDir = repoPath('fixtures', 'iis');

/** sample files (not golden files) of a fixture folder */
function samples(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => !f.endsWith('.json'))
    .sort()
    .map((f) => join(dir, f));
}

/** X.log, X.log.excerpt, X.LOG.excerpt → X.expected.json; X.cleaned.log → X.cleaned.expected.json */
function goldenOf(path: string): string {
  return path.replace(/\.(log|LOG)(\.excerpt)?$/, '') + '.expected.json';
}

const parse = (dir: string, name: string) => parseWith(iis, join(dir, name));
const reasons = (p: Parsed) => p.rejects.map((r) => [r.line, r.reason]);

// ---- golden files: every sample of the corpus and every synthetic fixture -------------------

for (const path of [...samples(corpusDir), ...samples(synthDir)]) {
  test(`golden: ${basename(path)}`, async () => {
    assertGolden(goldenOf(path), await parseWith(iis, path));
  });
}

// ---- the corpus: what each sample teaches ----------------------------------------------------

test('corpus: exact copies that need a clean-up are rejected with reasons, never crash', async () => {
  const exact = {
    'pastebin_fCbe6Wij__exchange2003_iis_activesync_excerpt.log': 'no-header', // "- " prefixes
    'techcommunity_exchange-team-blog_609476__2005_activesync_iis_example.log': 'no-header', // wrapped
    'microsoftdocs_meeting-organizer-receives-multiple-responses__iis_activesync_example.log': 'no-header', // wrapped
    'ms-qa_430572_ios-activesync-larger-attachments__iis_lines.log': 'no-header', // two trailing spaces
    'MicrosoftDocs_KB2563324_current-issues-activesync-third-party-devices__iis_uri_query_example.log': 'no-header', // query only
    'Qazeer-artefacts.help__microsoft_exchange_md__iis_owa_webshell_example.log': 'no-header', // "# Fields:", raw spaces
  } satisfies Record<string, RejectReason>;
  for (const [name, reason] of Object.entries(exact)) {
    const p = await parse(corpusDir, name);
    assert.equal(p.rows.length, 0, name);
    assert.ok(p.rejects.length > 0 && p.rejects.every((r) => r.reason === reason && r.detail), name);
  }
});

test('corpus: Exchange CSV logs (HttpProxy) are not read as IIS', async () => {
  for (const name of [
    'Qazeer-artefacts.help__microsoft_exchange_md__Eas_HttpProxy_example.log',
    'anquanke-MWR2016-peas__HttpProxy_Eas_HttpProxy_2016081619-1.LOG.excerpt',
    'anquanke-MWR2016-peas__HttpProxy_Eas_HttpProxy_2016081619-1.cleaned.log',
  ]) {
    const p = await parse(corpusDir, name);
    assert.equal(p.rows.length, 0, name);
    assert.ok(
      p.rejects.every((r) => r.reason === 'no-header'),
      name,
    );
  }
});

test('corpus: the &amp;-mangled exact copy still parses, with the query as logged', async () => {
  const exact = await parse(corpusDir, 'anquanke-MWR2016-peas__W3SVC2_u_ex160816.log.excerpt');
  const clean = await parse(corpusDir, 'anquanke-MWR2016-peas__W3SVC2_u_ex160816.cleaned.log');
  assert.equal(exact.rows.length, 2);
  assert.equal(exact.rows[0]!.eas_cmd, 'Search');
  assert.equal(exact.rows[0]!.eas_log, ''); // `&amp;Log=` is no Log= parameter
  assert.equal(clean.rows[0]!.eas_protocol, '14.1');
  assert.equal(clean.rows[0]!.eas_backend, '1');
  assert.equal(clean.rows[0]!.eas_server_adds, '6');
  assert.equal(clean.rows[1]!.eas_unc_files, '1');
});

test('corpus: Exchange 2003 (IIS 6 default layout, 2003 Log form)', async () => {
  const p = await parse(corpusDir, 'pastebin_fCbe6Wij__exchange2003_iis_activesync_excerpt.cleaned.log');
  assert.equal(p.rows.length, 7);
  assert.deepEqual(p.rejects, []);
  const ping = p.rows[3]!;
  assert.equal(ping.site, 'W3SVC1');
  assert.equal(ping.eas_cmd, 'Ping');
  assert.equal(ping.eas_user, 'eftdomain\\jameswhite'); // stored lowercased (schema: lower)
  assert.equal(ping.eas_protocol, '2.5');
  assert.equal(ping.win32_status, '995');
  assert.equal(ping.time_taken, null);
  assert.equal(p.rows[0]!.win32_status, '2148074254');
  // the DAV request of the EAS service to the store is not an ActiveSync request
  assert.equal(p.rows[4]!.eas_cmd, null);
});

// ---- synthetic fixtures ----------------------------------------------------------------------

test('a new header block mid-file changes the layout', async () => {
  const p = await parse(synthDir, 'header_change.log');
  assert.equal(p.rows.length, 4);
  assert.deepEqual(
    p.rows.map((r) => [r.server, r.site, r.sc_bytes, r.time_taken]),
    [
      ['10.0.0.21', '', null, '470012'],
      ['10.0.0.21', '', null, '15'],
      ['EX01', 'W3SVC1', '1532', '187'],
      ['EX01', 'W3SVC1', '0', '3'],
    ],
  );
  assert.deepEqual(reasons(p), [[13, 'field-count']]);
  assert.ok(p.notes.some((n) => /line 10 changes the layout \(15 → 21 fields\)/.test(n)));
});

test('custom trailing fields are tolerated', async () => {
  const p = await parse(synthDir, 'custom_fields.log');
  assert.equal(p.rows.length, 2);
  assert.deepEqual(p.rejects, []);
  assert.equal(p.rows[0]!.eas_cmd, 'FolderSync');
  assert.equal(p.rows[0]!.client_ip, '10.0.9.1');
});

test('usernames: URL-decoded once, + is a space, bad escapes as logged, User= when cs-username is empty', async () => {
  const p = await parse(synthDir, 'encoded_usernames.log');
  // eas_user is stored lowercased (schema: lower), username as logged
  assert.deepEqual(
    p.rows.map((r) => [r.username, r.eas_user]),
    [
      ['CONTOSO\\jdoe', 'contoso\\jdoe'],
      ['Jérôme.Dupré@contoso.com', 'jérôme.dupré@contoso.com'],
      ['CONTOSO\\Mary Jones', 'contoso\\mary jones'],
      ['', 'contoso\\bwhite'],
      ['bad%FFbyte', 'bad%ffbyte'],
    ],
  );
  assert.equal(p.rows[3]!.eas_cmd, ''); // OPTIONS names no command
  assert.deepEqual([p.rows[4]!.eas_device_id, p.rows[4]!.eas_device_type, p.rows[4]!.user_agent], ['x%zz', 'Test%00', 'Test/agent 1.0']);
});

test('user agents: + is a space, %XX decoded, - is empty', async () => {
  const p = await parse(synthDir, 'user_agents.log');
  assert.deepEqual(
    p.rows.map((r) => r.user_agent),
    [
      'Outlook-iOS-Android/1.0',
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36 Edg/122.0.0.0',
      'Samsung Email+/6.1.90.16',
      '',
    ],
  );
});

test('front end and back end log the same request: eas_backend tells them apart', async () => {
  const p = await parse(synthDir, 'frontend_backend_pair.log');
  const [fe, be] = p.rows;
  assert.deepEqual([fe!.site, fe!.server, fe!.port, fe!.eas_backend, fe!.eas_log], ['W3SVC1', 'CLT-E15-CAS1', '443', '0', '']);
  assert.deepEqual([be!.site, be!.server, be!.port, be!.eas_backend], ['W3SVC2', 'CLT-E15-MBX1', '444', '1']);
  for (const k of ['eas_cmd', 'eas_user', 'eas_device_id', 'eas_device_type', 'ts'] as const) assert.equal(fe![k], be![k], k);
  assert.deepEqual([be!.eas_status, be!.eas_errors, be!.eas_policy_key, be!.eas_device_os], ['143', 'PolicyRefresh', '3609689902', 'Android 4.1.2']);
});

test('bad lines: one reject reason each, good lines around them kept', async () => {
  const p = await parse(synthDir, 'bad_lines.log');
  assert.deepEqual(reasons(p), [
    [1, 'no-header'],
    [7, 'field-count'],
    [8, 'bad-time'],
    [9, 'bad-time'],
    [10, 'bad-number'],
    [11, 'bad-number'],
    [13, 'malformed'],
    [18, 'no-header'],
  ]);
  assert.deepEqual(
    p.rows.map((r) => r.line),
    ['6', '21'],
  );
  assert.ok(p.notes.some((n) => /line 14: '#Software: Microsoft Exchange Server' is an Exchange log/.test(n)));
});

test('a header without date takes the day from #Date', async () => {
  const p = await parse(synthDir, 'time_only.log');
  assert.deepEqual(
    p.rows.map((r) => r.ts),
    ['2024-03-07 06:30:00.000', '2024-03-08 00:00:02.000'],
  );
  assert.equal(p.rows[0]!.eas_heartbeat, '1680');
  assert.equal(p.rows[0]!.server, '10.0.0.21');
  assert.equal(p.rows[0]!.port, null);
});

test('base64-encoded queries: command, device, protocol, policy key, user', async () => {
  const p = await parse(synthDir, 'base64_query.log');
  assert.deepEqual(
    p.rows.map((r) => [r.eas_cmd, r.eas_user, r.eas_device_id, r.eas_device_type, r.eas_protocol, r.eas_policy_key]),
    [
      ['Sync', 'contoso\\robby', '350808136592FB7C5BF2250616CDF6FC', 'WP8', '14.0', '784950523'],
      ['ItemOperations', 'jdoe@contoso.com', 'FBFE3FF7E1D2C3B4A5968778695A4B3C', 'WindowsMail', '16.1', '3166893510'],
      ['ItemOperations', 'contoso\\jdoe', 'FBFE3FF7E1D2C3B4A5968778695A4B3C', 'WindowsMail', '16.1', '3166893510'],
      ['FolderSync', 'contoso\\jdoe', 'ApplF17XK2QHJC6F', 'iPhone', '14.1', null],
      ['', 'contoso\\jdoe', '', '', '', null],
    ],
  );
  assert.equal(p.rows[0]!.eas_server_adds, '2');
});

test('EAS Log variants: the typed columns', async () => {
  const p = await parse(synthDir, 'eas_log_variants.log');
  const by = (line: number) => p.rows.find((r) => r.line === String(line))!;
  assert.deepEqual(
    [by(5).eas_sync_type, by(5).eas_folder_types, by(5).eas_server_adds, by(5).eas_status, by(5).eas_policy_key],
    ['S', 'Em', '1', '1', '2260121383'],
  );
  assert.equal(by(8).eas_heartbeat, '780');
  assert.deepEqual(
    [by(9).eas_folder_types, by(9).eas_sync_type, by(9).eas_client_changes, by(9).eas_server_adds, by(9).eas_server_deletes],
    ['Em;Ca;Co', 'S;F', '1', '28', '1'],
  );
  assert.deepEqual([by(10).eas_oof, by(10).eas_device_model, by(10).eas_device_os], ['Get', 'SM-G991B', 'Android 13']);
  assert.equal(by(11).eas_policy_ack, '2');
  assert.deepEqual([by(12).eas_attachments, by(12).eas_attachment_bytes, by(12).eas_sharepoint_docs], ['1', '204800', '2']);
  assert.deepEqual([by(13).eas_sync_type, by(13).eas_errors, by(13).eas_status], ['I', 'SyncStateNotFound', '132']);
  assert.equal(by(15).eas_errors, 'PolicyRefresh;SyncStateNotFound');
  assert.deepEqual([by(16).eas_cmd, by(16).uri_query, by(16).eas_log], ['', '', '']);
  assert.equal(by(17).eas_cmd, 'SendMail'); // lower-case stem is still ActiveSync
  assert.equal(by(18).eas_cmd, null); // /Microsoft-Server-ActiveSyncX is not
  assert.deepEqual([by(19).eas_protocol, by(19).eas_sync_type, by(19).eas_folder_types, by(19).eas_server_adds], ['2.0', 'S', 'Co', '1']);
  assert.deepEqual([by(20).status, by(20).eas_log, by(20).eas_status], ['503', '', null]);
});

// ---- the Log= value stored once -------------------------------------------------------------

test("uri_query: an ActiveSync request's first Log= value is cut out (it is eas_log); fullUriQuery puts it back", () => {
  const queries: [string, string, boolean][] = [
    // [stem, query as logged, ActiveSync]
    ['/Microsoft-Server-ActiveSync/default.eas', 'Cmd=Ping&User=jdoe&Log=V141_Hb1680_S1', true],
    ['/Microsoft-Server-ActiveSync/default.eas', 'Log=V141_S1&Cmd=Ping', true],
    ['/Microsoft-Server-ActiveSync/default.eas', 'Cmd=Ping&log=A_B&Log=C', true], // the first Log, any case
    ['/Microsoft-Server-ActiveSync/default.eas', 'Cmd=Sync&xLog=1&LOG=V2&Log=3', true],
    ['/Microsoft-Server-ActiveSync/default.eas', 'Cmd=a=Log=5&Log=x_y', true], // `Log=` inside a value is no parameter
    ['/Microsoft-Server-ActiveSync/default.eas', 'Cmd=Ping&Log=', true],
    ['/Microsoft-Server-ActiveSync/default.eas', 'Cmd=Ping&Log', true],
    ['/Microsoft-Server-ActiveSync/default.eas', 'jAAJBBA1CAgTZZL7fFvyJQYWzfb8BPtkyS4DV1A4&Log=V140_S1', true], // base64 query
    ['/Microsoft-Server-ActiveSync/default.eas', 'Cmd=Sync&Log=a\tb\\c&Cmd=x', true], // a TAB and a backslash inside
    ['/Microsoft-Server-ActiveSync/default.eas', '-', true],
    ['/owa/default.aspx', 'a=1&Log=kept', false], // not ActiveSync: the whole query
  ];
  const fields =
    '#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status sc-substatus sc-win32-status time-taken';
  for (const escapes of [false, true]) {
    const out = new TsvWriter(iisRequests, 1, escapes);
    const parser: Parser = iis.parser({
      file: 'x',
      out: () => out,
      reject() {
        assert.fail('reject');
      },
      note() {},
    });
    const feed = (l: string, n: number) => {
      const b = Buffer.from(l, 'utf8');
      parser.line(b, 0, b.length, n, 0);
    };
    feed(fields, 1);
    for (const [i, [stem, q]] of queries.entries()) feed(`2024-03-04 10:00:00 10.0.0.1 POST ${stem} ${q} 443 jdoe 10.0.0.2 Agent 200 0 0 15`, i + 2);
    const rows = parseTsv(out.take(), escapes);
    const col = (name: string) => iisRequests.columns.findIndex((c) => c.name === name);
    queries.forEach(([, q, eas], i) => {
      const stored = q === '-' ? '' : q.replace(/\t/g, ' ');
      const r = rows[i]!;
      const uri = r[col('uri_query')]!,
        log = r[col('eas_log')]!;
      if (!eas) {
        assert.equal(uri, stored);
        assert.equal(log, null);
        return;
      }
      assert.equal(uri, cutLogValue(stored), q);
      assert.equal(fullUriQuery(uri, log), stored, q);
      const range = logValueRange(stored);
      assert.equal(log, range ? stored.slice(range[0], range[1]) : '', q);
    });
  }
  assert.equal(fullUriQuery(null, null), null);
  assert.equal(fullUriQuery('a=1&Log=x', null), 'a=1&Log=x');
});

// ---- resume ----------------------------------------------------------------------------------

/** feed the lines of a file to parsers, restarting from state() after line `cut` */
function parseResumed(path: string, cut: number): (string | null)[][] {
  const out = new TsvWriter(iisRequests, 1, true);
  const ctx = { file: path, out: () => out, reject() {}, note() {} };
  const lines = readFileSync(path).toString('utf8').split('\n');
  let parser: Parser = iis.parser(ctx);
  lines.forEach((l, i) => {
    if (i === cut) parser = iis.parser(ctx, JSON.parse(JSON.stringify(parser.state())));
    if (l) {
      const b = Buffer.from(l, 'utf8');
      parser.line(b, 0, b.length, i + 1, 0);
    }
  });
  parser.end();
  return parseTsv(out.take(), true);
}

test('resume: state() carries the #Fields map and #Date across a restart', () => {
  for (const name of ['header_change.log', 'time_only.log', 'bad_lines.log']) {
    const path = join(synthDir, name);
    const whole = parseResumed(path, -1);
    const n = readFileSync(path, 'utf8').split('\n').length;
    for (let cut = 1; cut < n; cut++) assert.deepEqual(parseResumed(path, cut), whole, `${name} cut after line ${cut}`);
  }
});

// ---- sniffing --------------------------------------------------------------------------------

function sampleOf(path: string) {
  return {
    name: basename(path),
    lines: readFileSync(path, 'utf8')
      .replace(/^\uFEFF/, '')
      .split(/\r?\n/)
      .filter((l) => l !== '')
      .slice(0, 40),
  };
}

test('sniff: IIS samples are claimed, with a reason', () => {
  const iisSamples = [
    ...[
      'anquanke-MWR2016-peas__W3SVC1_u_ex160816.cleaned.log',
      'anquanke-MWR2016-peas__W3SVC2_u_ex160816.cleaned.log',
      'anquanke-MWR2016-peas__W3SVC1_u_ex160816.log.excerpt',
      'm365internals_2022-10-07_hunting-in-on-premises-exchange-server-logs__iis_webshell.log',
      'ms-qa_430572_ios-activesync-larger-attachments__iis_lines.cleaned.log',
      'pastebin_fCbe6Wij__exchange2003_iis_activesync_excerpt.cleaned.log',
    ].map((f) => join(corpusDir, f)),
    ...samples(synthDir),
  ];
  for (const path of iisSamples) {
    const s = iis.sniff(sampleOf(path));
    assert.ok(s && s.confidence >= 45 && s.reason, `${basename(path)}: ${JSON.stringify(s)}`);
    // no other format claims it more surely
    for (const f of formatList) {
      if (f === iis) continue;
      const o = f.sniff(sampleOf(path));
      assert.ok(!o || o.confidence < s.confidence, `${f.name} claims ${basename(path)}: ${JSON.stringify(o)}`);
    }
  }
  assert.equal(iis.sniff({ name: 'u_ex240304.log', lines: ['#Software: Microsoft Internet Information Services 10.0'] })!.confidence, 100);
});

test('sniff: Exchange CSV logs and other corpus files are not claimed', () => {
  const others: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir)) {
      const p = join(dir, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (!e.endsWith('.json') && !e.endsWith('.md') && !e.endsWith('.xml')) others.push(p);
    }
  };
  for (const d of readdirSync(repoPath('fixtures', 'corpus'))) if (d !== 'iis_activesync') walk(repoPath('fixtures', 'corpus', d));
  others.push(
    ...[
      'Qazeer-artefacts.help__microsoft_exchange_md__Eas_HttpProxy_example.log',
      'anquanke-MWR2016-peas__HttpProxy_Eas_HttpProxy_2016081619-1.LOG.excerpt',
      'anquanke-MWR2016-peas__HttpProxy_Eas_HttpProxy_2016081619-1.cleaned.log',
      'MicrosoftDocs_KB2563324_current-issues-activesync-third-party-devices__iis_uri_query_example.cleaned.log',
    ].map((f) => join(corpusDir, f)),
  );
  assert.ok(others.length > 5);
  for (const path of others) {
    const s = iis.sniff(sampleOf(path));
    assert.ok(!s || s.confidence < 30, `${path}: ${JSON.stringify(s)}`);
  }
  const httpProxy = iis.sniff(sampleOf(join(corpusDir, 'Qazeer-artefacts.help__microsoft_exchange_md__Eas_HttpProxy_example.log')));
  assert.match(httpProxy!.reason, /Exchange log/);
});
