// What `mxray check` prints, from hand-made results: the Monitoring Plugins status line and perfdata,
// the seed's per-instance lines with `*`, the exit code of the worst state; and the health matrix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matrix, hostCells } from './matrix.js';
import { STATUS_LINE_CHARS, checkText, exitCode, instanceLine, overallStatus, statusLine } from './report.js';
import type { ProbeResult, ProbeStatus } from './types.js';

function result(host: string, url: string, status: ProbeStatus, failure: ProbeResult['failure'], ms: number, extra: Partial<ProbeResult> = {}): ProbeResult {
  const instance = url.replace(/^[^:]+:\/\//, '');
  return {
    host,
    service: url.split(':')[0]!.toUpperCase(),
    instance,
    url,
    status,
    failure,
    durationMs: ms,
    phases: { connect: 1, tls: null, banner: 2, total: ms },
    certDaysLeft: null,
    detail: status === 'ok' ? '220 ready' : (failure ?? ''),
    transcript: status === 'ok' ? null : ['S: x'],
    at: '2026-12-05T00:00:00.000Z',
    ...extra,
  };
}

const ok1 = result('127.0.0.1', 'smtp://127.0.0.1:2525', 'ok', null, 12);
const down = result('127.0.0.1', 'smtp://127.0.0.1:2526', 'critical', 'refused', 1.5);
const certSoon = result('mail', 'imaps://[::1]:993', 'warning', 'certificate', 30, { certDaysLeft: 5 });

test('status line: state, summary of what is not OK, perfdata after |', () => {
  assert.equal(
    statusLine([ok1, down], { warning: '1', critical: '2', timeoutSeconds: 10 }),
    "MXRAY CRITICAL - 1 of 2 instances not OK: smtp://127.0.0.1:2526 refused | 'time_smtp_127.0.0.1_2525'=0.012000s;1;2;0;10 'time_smtp_127.0.0.1_2526'=0.001500s;1;2;0;10",
  );
  assert.equal(statusLine([ok1]), "MXRAY OK - 1 of 1 instance OK, slowest 0.012 s | 'time_smtp_127.0.0.1_2525'=0.012000s;;;0;");
  assert.equal(
    statusLine([certSoon], { certWarningDays: 14, certCriticalDays: 7 }),
    "MXRAY WARNING - 1 of 1 instance not OK: imaps://[::1]:993 certificate expires in 5 days | 'time_imaps_::1_993'=0.030000s;;;0; 'cert_days_imaps_::1_993'=5;14:;7:;;",
  );
  assert.equal(statusLine([]), 'MXRAY UNKNOWN - no instances to check');
  const many = Array.from({ length: 5 }, (_, i) => result('h', `pop3://h:${i + 1}`, 'critical', 'timeout', 1));
  assert.match(statusLine(many), /5 of 5 instances not OK: pop3:\/\/h:1 timeout, pop3:\/\/h:2 timeout, pop3:\/\/h:3 timeout, and 2 more \|/);
});

test('exit codes: the worst state, critical over unknown over warning', () => {
  assert.equal(exitCode([ok1]), 0);
  assert.equal(exitCode([ok1, certSoon]), 1);
  assert.equal(exitCode([ok1, certSoon, down]), 2);
  const unknown = result('h', 'tcp://h:1', 'unknown', 'internal', 1);
  assert.equal(exitCode([ok1, unknown]), 3);
  assert.equal(exitCode([certSoon, unknown]), 3);
  assert.equal(overallStatus([unknown, down]), 'critical');
  assert.equal(exitCode([]), 3);
});

test('one line per instance, * in front of any not OK', () => {
  const text = checkText([ok1, down]);
  const lines = text.trimEnd().split('\n');
  assert.equal(lines.length, 3);
  assert.equal(lines[1], '127.0.0.1:2525 (SMTP): OK - 220 ready [smtp://127.0.0.1:2525, 0.012 s]');
  assert.equal(lines[2], '*127.0.0.1:2526 (SMTP): CRITICAL refused - refused [smtp://127.0.0.1:2526, 0.002 s]');
  assert.equal(instanceLine(certSoon), '*mail [::1]:993 (IMAPS): WARNING certificate - certificate [imaps://[::1]:993, 0.030 s]');
});

test('many instances: the status line stays short, the other perfdata follows the long output (Nagios 3+ format), every item once', () => {
  const many = Array.from({ length: 300 }, (_, i) =>
    result(`h${i}`, `smtp://10.0.${i >> 8}.${i & 255}:25`, i === 7 ? 'critical' : 'ok', i === 7 ? 'refused' : null, 12),
  );
  const lines = checkText(many, { timeoutSeconds: 10 }).trimEnd().split('\n');
  const status = lines[0]!;
  assert.ok(status.length <= STATUS_LINE_CHARS, `status line of ${status.length} characters`);
  assert.match(status, /^MXRAY CRITICAL - 1 of 300 instances not OK: smtp:\/\/10\.0\.0\.7:25 refused \| 'time_smtp_10\.0\.0\.0_25'=0\.012000s;;;0;10 /);
  // the long output: one line per instance in order, the last one carrying ' | ' and the next item
  const longOutput = lines.slice(1, 301);
  assert.deepEqual(
    longOutput.map((l) => l.split(' | ')[0]),
    many.map((r) => instanceLine(r)),
  );
  assert.equal(longOutput.slice(0, 299).filter((l) => l.includes(' | ')).length, 0);
  const [, tailFirst] = longOutput[299]!.split(' | ');
  // every instance's time exactly once, over the status line and the lines after the long output
  const items = [...status.split(' | ')[1]!.split(' '), tailFirst!, ...lines.slice(301)];
  assert.deepEqual(
    items.map((x) => x.split('=')[0]),
    many.map((r) => `'time_${r.url.replace('://', '_').replace(/:(\d+)$/, '_$1')}'`),
  );
  // a few instances: everything on the status line, as before
  assert.equal(checkText(many.slice(0, 3)).split('\n').length, 5);
});

test('matrix: one cell per host, its worst state; letters without colour; the worst listed below', () => {
  const results = [ok1, down, result('mx2', 'smtp://mx2:25', 'ok', null, 3), certSoon, result('news', 'nntp://news:119', 'unknown', 'internal', 1)];
  assert.deepEqual(
    hostCells(results).map((c) => [c.host, c.status, c.instances, c.notOk]),
    [
      ['127.0.0.1', 'critical', 2, 1],
      ['mail', 'warning', 1, 1],
      ['mx2', 'ok', 1, 0],
      ['news', 'unknown', 1, 1],
    ],
  );
  const plain = matrix(results, { color: false, width: 80 });
  assert.equal(
    plain,
    [
      '4 hosts, 5 instances: 1 OK, 1 warning, 1 critical, 1 unknown  (O OK, W warning, C critical, U unknown)',
      '127.0.0.1 C W O U',
      '',
      'Worst:',
      '  CRITICAL 127.0.0.1  SMTP 127.0.0.1:2526  refused: refused',
      '  UNKNOWN  news  NNTP news:119  internal: internal',
      '  WARNING  mail  IMAPS [::1]:993  certificate: certificate',
      '',
    ].join('\n'),
  );
  assert.doesNotMatch(plain, /\x1b/);
  const colour = matrix(results, { color: true });
  assert.match(colour, /\x1b\[48;5;196m \x1b\[0m \x1b\[48;5;208m \x1b\[0m \x1b\[48;5;34m \x1b\[0m \x1b\[48;5;244m/);
});

test('matrix: hundreds of hosts fit, many to a line', () => {
  const results = Array.from({ length: 300 }, (_, i) =>
    result(`h${String(i).padStart(3, '0')}`, `smtp://h${i}:25`, i % 50 === 0 ? 'critical' : 'ok', i % 50 === 0 ? 'refused' : null, 1),
  );
  const lines = matrix(results, { color: false, width: 120, worst: 3 }).split('\n');
  const rows = lines.filter((l) => /^h\d{3} /.test(l));
  assert.equal(rows.length, Math.ceil(300 / Math.floor((120 - 4 - 1) / 2)));
  assert.equal(rows.join(' ').match(/[OC]/g)?.length, 300);
  assert.ok(lines.includes('  … and 3 more'));
});
