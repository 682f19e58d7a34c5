// mxray check URL…: probe every instance now and answer as a Monitoring Plugin (Nagios, Icinga,
// Naemon, Zabbix, Checkmk run it as one): the status line with perfdata, one line per instance, and
// the plugin exit codes 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN — 3 also for a bad command line, unlike
// mxray's other commands (main.ts maps commander's usage errors for this command only).
import { type Command, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { matrix } from '../capabilities/monitor/matrix.js';
import { loadPresets, PresetError } from '../capabilities/monitor/presets.js';
import { parseRange, RangeSyntaxError } from '../capabilities/monitor/range.js';
import { checkText, DEFAULT_CONCURRENCY, exitCode, probeAll, statusLine, type PerfOptions } from '../capabilities/monitor/report.js';
import { DEFAULT_CERT_CRITICAL_DAYS, DEFAULT_CERT_WARNING_DAYS } from '../capabilities/monitor/result.js';
import { parseTarget, TargetError } from '../capabilities/monitor/target.js';
import type { ProbeResult, ProbeTarget } from '../capabilities/monitor/types.js';
import { UsageError } from './usage.js';
import { ConfigError } from '../config/errors.js';

/** the instances of the config's monitor section, narrowed by --service and --host (names match
 *  without regard to case) */
async function configTargets(o: CheckOpts): Promise<ProbeTarget[]> {
  // the config module and its schemas (zod) only with --config: `check URL…` starts without them
  const [{ loadConfig }, { targetsOf: monitoredTargets }] = await Promise.all([import('../config/config.js'), import('../capabilities/monitor/config.js')]);
  const config = await loadConfig(o.config);
  const section = config.section('monitor');
  if (!section) throw new UsageError(`${o.config}: no monitor: section (hosts, services, instances); \`mxray config example\` shows one`);
  const want = (names: string[] | undefined, v: string) => !names?.length || names.some((n) => n.toLowerCase() === v.toLowerCase());
  const all = monitoredTargets(section);
  const out = all.filter((t) => want(o.service, t.service) && want(o.host, t.host));
  if (!out.length)
    throw new UsageError(
      `no instance of ${o.config} matches${o.service?.length ? ` --service ${o.service.join(',')}` : ''}${o.host?.length ? ` --host ${o.host.join(',')}` : ''}; services: ${[...new Set(all.map((t) => t.service))].join(', ')}`,
    );
  return out;
}

export const CHECK_UNKNOWN = 3;

export interface CheckOpts {
  config?: string;
  service?: string[];
  host?: string[];
  warning?: string;
  critical?: string;
  timeout: string;
  json?: boolean;
  matrix?: boolean;
  ca?: string;
  insecure?: boolean;
  servername?: string;
  passwordEnv?: string;
  passwordFile?: string;
  certWarning: string;
  certCritical: string;
  httpStatus?: string;
  httpBody?: string;
  expect?: string;
  presets?: string[];
  concurrency: string;
}

function number(name: string, v: string, min: number): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) throw new UsageError(`${name}: expected a number ≥ ${min}, got "${v}"`);
  return n;
}

function password(o: CheckOpts, env: NodeJS.ProcessEnv): string | undefined {
  if (o.passwordEnv && o.passwordFile) throw new UsageError('--password-env and --password-file: give one of them');
  if (o.passwordEnv) {
    const v = env[o.passwordEnv];
    if (v === undefined) throw new UsageError(`--password-env ${o.passwordEnv}: no such environment variable`);
    return v;
  }
  if (o.passwordFile) {
    try {
      return readFileSync(o.passwordFile, 'utf8').replace(/\r?\n$/, '');
    } catch (e) {
      throw new UsageError(`--password-file ${o.passwordFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  return undefined;
}

/** the targets of `mxray check URL…` from its options; a bad option or URL is a UsageError */
export function targetsOf(urls: readonly string[], o: CheckOpts, env: NodeJS.ProcessEnv = process.env): ProbeTarget[] {
  for (const [flag, r] of [
    ['-w', o.warning],
    ['-c', o.critical],
  ] as const) {
    if (r !== undefined) {
      try {
        parseRange(r);
      } catch (e) {
        throw new UsageError(`${flag}: ${(e as Error).message}`);
      }
    }
  }
  const timeoutMs = Math.round(number('--timeout', o.timeout, 0.001) * 1000);
  const certWarningDays = number('--cert-warning', o.certWarning, 0);
  const certCriticalDays = number('--cert-critical', o.certCritical, 0);
  let status: number[] | undefined;
  if (o.httpStatus !== undefined) {
    status = o.httpStatus.split(',').map((s) => Number(s.trim()));
    if (status.some((s) => !Number.isInteger(s) || s < 100 || s > 599))
      throw new UsageError(`--http-status: expected codes like 200,301, got "${o.httpStatus}"`);
  }
  for (const [flag, re] of [
    ['--http-body', o.httpBody],
    ['--expect', o.expect],
  ] as const) {
    if (re !== undefined) {
      try {
        new RegExp(re);
      } catch (e) {
        throw new UsageError(`${flag}: not a valid regular expression: ${(e as Error).message}`);
      }
    }
  }
  if (urls.length === 0) throw new UsageError('no URL to check (e.g. mxray check smtp://mx1.example.org imaps://mail.example.org)');
  const presets = loadPresets(o.presets ?? []);
  const pw = password(o, env);
  return urls.map((url) =>
    parseTarget(url, {
      presets,
      timeoutMs,
      tls: { ...(o.ca ? { ca: o.ca } : {}), ...(o.servername ? { serverName: o.servername } : {}), ...(o.insecure ? { insecure: true } : {}) },
      password: pw,
      warning: o.warning,
      critical: o.critical,
      certWarningDays,
      certCriticalDays,
      ...(status || o.httpBody !== undefined ? { http: { ...(status ? { status } : {}), ...(o.httpBody !== undefined ? { body: o.httpBody } : {}) } } : {}),
      ...(o.expect !== undefined ? { expect: o.expect } : {}),
    }),
  );
}

export interface CheckOutput {
  readonly code: number;
  readonly stdout: string;
  readonly results: readonly ProbeResult[];
}

/** probe the targets and produce what the command prints: shared with `check --config` */
export async function runCheck(
  targets: readonly ProbeTarget[],
  o: { json?: boolean; matrix?: boolean; color?: boolean; width?: number; concurrency?: number; presets?: string[] } & PerfOptions,
): Promise<CheckOutput> {
  const results = await probeAll(targets, { concurrency: o.concurrency, presets: loadPresets(o.presets ?? []) });
  const code = exitCode(results);
  if (o.json) return { code, results, stdout: `${JSON.stringify(results, null, 2)}\n` };
  if (o.matrix) return { code, results, stdout: `${statusLine(results, o)}\n${matrix(results, { color: o.color ?? false, width: o.width })}` };
  return { code, results, stdout: checkText(results, o) };
}

/** the plugin's answer to a bad command line: UNKNOWN on stdout (what Nagios shows), the reason on stderr */
export function checkUsageFailure(message: string): number {
  process.stdout.write(`MXRAY UNKNOWN - ${message.split('\n')[0]}\n`);
  return CHECK_UNKNOWN;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerCheck(p: Command): void {
  p.command('check')
    .description(
      'probe service instances now (smtp smtps submission pop3 pop3s imap imaps nntp nntps ftp ftps http https tcp, or a preset of your own) ' +
        "and answer as a Monitoring Plugin. Exit codes are the Monitoring Plugins': 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN " +
        "(also 3 for a bad command line), unlike mxray's other commands",
    )
    .argument('[url...]', 'scheme://[user@]host[:port][/path]; IPv6 as [::1]; no password in the URL')
    .option('--config <file>', "every instance of the config's monitor: section (hosts, services, instances), besides any URLs")
    .option('--service <name>', 'with --config: only this service (SMTP, IMAP …); repeatable', collect)
    .option('--host <name>', 'with --config: only this host; repeatable', collect)
    .option('-w, --warning <range>', 'response time in seconds, Monitoring Plugins range (10, 10:, ~:10, 10:20, @10:20): WARNING when it alerts')
    .option('-c, --critical <range>', 'the same for CRITICAL')
    .option('-t, --timeout <seconds>', 'hard deadline of each probe', '10')
    .option('--json', 'the results as JSON (ProbeResult[])')
    .option('--matrix', 'the health matrix: every host a coloured cell, the worst instances below (letters when not a terminal or NO_COLOR is set)')
    .option('--ca <file>', "PEM file of a CA to trust besides the system's")
    .option('--insecure', 'accept any certificate (its expiry is still reported and checked)')
    .option('--servername <name>', "the name to verify certificates against (default: the URL's host)")
    .option('--cert-warning <days>', 'WARNING when a certificate expires within this many days', String(DEFAULT_CERT_WARNING_DAYS))
    .option('--cert-critical <days>', 'CRITICAL when a certificate expires within this many days', String(DEFAULT_CERT_CRITICAL_DAYS))
    .option('--password-env <name>', 'the password for URLs with a user, from this environment variable')
    .option('--password-file <file>', 'the password for URLs with a user, from this file (first line)')
    .option('--http-status <codes>', 'HTTP: accepted status codes, e.g. 200,301 (default any 2xx or 3xx)')
    .option('--http-body <regex>', 'HTTP: a regex the body must match')
    .option('--expect <regex>', 'tcp: a regex the first line (the banner) must match')
    .option('--presets <dir>', 'a folder of protocol presets (NAME.yaml) besides the built-in ones; repeatable', collect)
    .addOption(new Option('--concurrency <n>', 'probes at once').default(String(DEFAULT_CONCURRENCY)))
    .action(async (urls: string[], o: CheckOpts) => {
      try {
        const targets = [...(o.config ? await configTargets(o) : []), ...(urls.length || !o.config ? targetsOf(urls, o) : [])];
        const out = await runCheck(targets, {
          json: o.json,
          matrix: o.matrix,
          color: process.stdout.isTTY === true && !process.env.NO_COLOR,
          width: process.stdout.columns,
          concurrency: Math.floor(number('--concurrency', o.concurrency, 1)),
          presets: o.presets,
          warning: o.warning,
          critical: o.critical,
          timeoutSeconds: targets[0]!.timeoutMs / 1000,
          certWarningDays: targets[0]!.certWarningDays,
          certCriticalDays: targets[0]!.certCriticalDays,
        });
        process.stdout.write(out.stdout);
        process.exitCode = out.code;
      } catch (e) {
        if (e instanceof UsageError || e instanceof ConfigError || e instanceof TargetError || e instanceof RangeSyntaxError || e instanceof PresetError) {
          process.stderr.write(`mxray: ${e.message}\n`);
          process.exitCode = checkUsageFailure(e.message);
          return;
        }
        process.stderr.write(`mxray: ${(e as Error).message}\n`);
        process.exitCode = checkUsageFailure(`internal error: ${(e as Error).message}`);
      }
    });
}
