// The rules commands with the real ports the CLI builds (cli/rules.ts buildPorts): `sha256` reads the
// files an IIS log names under the rule's root, a path that climbs out of the root never matches, and
// `rules run` carries out a `log` action (one JSON line per alert). The truth is worked out here: the
// SHA-256 of the file the test writes, and which log lines name it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mxrayInProcess as mxray } from '../testing/run-cli.js';

test('sha256 over the files an IIS log names, and a log action, through the CLI', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mxray-rules-ports-'));
  const root = join(dir, 'wwwroot');
  mkdirSync(join(root, 'tools'), { recursive: true });
  const tool = 'the renamed tool\n';
  writeFileSync(join(root, 'tools', 'a.exe'), tool);
  writeFileSync(join(root, 'tools', 'b.exe'), 'another program\n');
  writeFileSync(join(dir, 'secret.txt'), tool); // the same bytes outside the root
  const hash = createHash('sha256').update(tool).digest('hex');

  const header =
    '#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: 2026-03-02 10:00:00\r\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n';
  const req = (t: string, stem: string) => `2026-03-02 ${t} 10.0.0.21 GET ${stem} - 443 - 203.0.113.7 curl/8.0 - 200 0 0 15\r\n`;
  // lines 5 and 8 name the tool (by its own name and renamed: same bytes); 6 another file; 7 climbs out
  const lines = [req('10:00:01', '/tools/a.exe'), req('10:00:02', '/tools/b.exe'), req('10:00:03', '/../secret.txt'), req('10:00:04', '/tools/a.exe')];
  mkdirSync(join(dir, 'logs'));
  writeFileSync(join(dir, 'logs', 'u_ex260302.log'), header + lines.join(''));
  const db = join(dir, 'r.duckdb');
  const ingest = await mxray(['ingest', join(dir, 'logs'), '--db', db]);
  assert.equal(ingest.code, 0, ingest.stderr);

  const alerts = join(dir, 'alerts.log');
  const rules = join(dir, 'rules.yaml');
  writeFileSync(
    rules,
    `rules:\n  - name: renamed-tool\n    source: iis\n    include: [ { field: cs-uri-stem, op: sha256, value: "${hash}", root: ${JSON.stringify(root)} } ]\n    actions: [ { log: ${JSON.stringify(alerts)} } ]\n`,
  );
  const t = await mxray(['rules', 'test', rules, '--db', db, '--json']);
  assert.equal(t.code, 0, t.stderr);
  const [result] = JSON.parse(t.stdout) as { rule: string; matches: number }[];
  assert.equal(result?.rule, 'renamed-tool');
  assert.equal(result?.matches, 2, 'the two requests of a.exe; not b.exe, not the file outside the root');

  const run = await mxray(['rules', 'run', rules, '--db', db]);
  assert.equal(run.code, 0, run.stderr);
  const logged = readFileSync(alerts, 'utf8').trim().split('\n');
  assert.ok(logged.length >= 1, 'the log action wrote the alert');
  assert.match(logged[0]!, /renamed-tool/);
  // a second run sees nothing new: no new alert lines
  const again = await mxray(['rules', 'run', rules, '--db', db]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(readFileSync(alerts, 'utf8').trim().split('\n').length, logged.length);
});
