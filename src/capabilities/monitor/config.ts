// monitor: what `mxray serve` watches and `mxray check --config` probes once. Hosts group services,
// services group instances (a virtual server: an address and port speaking one protocol; the seed's
// point is that a running service can hide a stopped instance, so each one is probed). Settings
// (interval, timeout, thresholds, alert routes, TLS) are given once under `defaults:` and overridden
// by a host, a service or an instance. `every:` is the seed's view: these hosts × these protocols ×
// these ports, without listing instances one by one. Dependencies: a host (or a `links:` entry, a
// network link probed like a host) that, when down, suppresses the alerts of the hosts behind it.
//
// targetsOf(section) gives the instances as probe targets with their settings resolved.
import * as z from 'zod';
import { defineSection } from '../../config/section.js';
import { filePath, joinSecret, secretKeys, type Secret } from '../../config/refs.js';
import { bool, expected, got, hostName, port, text, wholeNumber } from '../../config/fields.js';
import { loadPresets } from './presets.js';
import { parseRange } from './range.js';
import { parseTarget, TargetError } from './target.js';
import { schemes, type ProbeTarget, type Scheme, type TargetTls } from './types.js';

/** the service a scheme's instances belong to when the config does not name one: the preset's
 *  (presets/*.yaml are the one source of ports and services, for URLs given to `check` and the config) */
export function serviceOfScheme(scheme: Scheme): string {
  return loadPresets().get(scheme)?.service ?? scheme.toUpperCase();
}

/** a Monitoring Plugins threshold range: [@][start:]end, start may be ~ (minus infinity) */
export function isRange(s: string): boolean {
  // the plugin's own parser (range.ts), so the config accepts exactly what the probe evaluates
  try {
    parseRange(s);
    return true;
  } catch {
    return false;
  }
}

function range() {
  return z
    .union([z.number(), z.string()], { error: (iss) => expected('a Monitoring Plugins range like 0.5, 1:2, ~:3 or @1:2 (seconds)', iss.input) })
    .transform((v) => String(v).trim())
    .refine(isRange, { error: (iss) => `expected a Monitoring Plugins range like 0.5, 1:2, ~:3 or @1:2 (seconds), got ${got(iss.input)}` });
}

const schemeEnum = z.enum(schemes, { error: (iss) => `expected a protocol (${schemes.join(', ')}), got ${got(iss.input)}` });

const tls = z.strictObject({
  ca: filePath('the path of a CA certificate file (PEM)').optional(),
  serverName: hostName().optional(),
  insecure: bool().optional(),
});

const repair = z.strictObject({
  command: z
    .array(text('a word of the command'), { error: (iss) => expected('the command as a list of words, like [systemctl, start, postfix@second]', iss.input) })
    .min(1, { error: 'expected the command as a list of words, like [systemctl, start, postfix@second], got an empty list' }),
  timeoutMs: wholeNumber('milliseconds', 1, 3_600_000).default(60_000),
});

/** what a host, a service or an instance may set for what it holds; unset: inherited */
const settings = {
  intervalMs: wholeNumber('milliseconds', 1000, 86_400_000).optional(),
  timeoutMs: wholeNumber('milliseconds', 1, 600_000).optional(),
  /** consecutive failed probes before a problem is alerted */
  failures: wholeNumber('a count of probes', 1, 100).optional(),
  /** consecutive good probes before a recovery is alerted */
  successes: wholeNumber('a count of probes', 1, 100).optional(),
  /** repeat the alert of an open problem this often; 0: never */
  reminderMs: wholeNumber('milliseconds', 0, 604_800_000).optional(),
  warning: range().optional(),
  critical: range().optional(),
  certWarningDays: wholeNumber('days', 0, 3650).optional(),
  certCriticalDays: wholeNumber('days', 0, 3650).optional(),
  /** the alert routes (names under monitor.routes); default: every route */
  alert: z.array(text('the name of an alert route (a key of monitor.routes)')).optional(),
  tls: tls.optional(),
};

const credentials = { user: text('the account to log in as').optional(), ...secretKeys('password') };

function withSecret<T extends Record<string, unknown>>(o: T, ctx: { issues: z.core.$ZodRawIssue[] }) {
  const out = joinSecret(o, 'password', ctx);
  if ((out as { user?: string }).user !== undefined && !(out as { password?: Secret }).password)
    ctx.issues.push({ code: 'custom', message: 'a user needs its password: give passwordFile: PATH or passwordEnv: NAME', path: ['user'], input: undefined });
  if ((out as { user?: string }).user === undefined && (out as { password?: Secret }).password)
    ctx.issues.push({ code: 'custom', message: 'a password without user: say whom to log in as', path: ['user'], input: undefined });
  return out;
}

const http = z.strictObject({
  status: z.array(wholeNumber('an HTTP status', 100, 599)).optional(),
  body: text('a regular expression the body must match')
    .refine(
      (v) => {
        try {
          new RegExp(v);
          return true;
        } catch {
          return false;
        }
      },
      { error: (iss) => `expected a regular expression, got ${got(iss.input)}` },
    )
    .optional(),
});

const instanceObject = z
  .strictObject({
    url: text('a URL like smtp://mx1.corp.example:25, or address:port'),
    name: text('a name for the instance').optional(),
    ...settings,
    ...credentials,
    http: http.optional(),
    repair: repair.optional(),
  })
  .transform((o, ctx) => withSecret(o, ctx));

/** an instance: a URL or address:port (the service's protocol), or a mapping with url: and settings */
const instance = z.preprocess((v) => (typeof v === 'string' ? { url: v } : v), instanceObject);

const service = z
  .strictObject({
    name: text('the name of the service, like SMTP'),
    /** the protocol of instances written as address:port */
    protocol: schemeEnum.optional(),
    instances: z.array(instance).min(1, { error: 'expected a list of at least 1 instance' }),
    ...settings,
    ...credentials,
    http: http.optional(),
  })
  .transform((o, ctx) => withSecret(o, ctx));

const dependsOn = z.array(text('the name of a host or link this one is reached through')).optional();

const host = z.strictObject({
  name: text('the name of the host (its cell in the matrix)'),
  dependsOn,
  services: z.array(service).default([]),
  ...settings,
});

const link = z.strictObject({
  name: text('the name of the network link'),
  dependsOn,
  /** what answers when the link is up: URLs or address:port (tcp) */
  instances: z.array(instance).min(1, { error: 'expected a list of at least 1 instance' }),
  ...settings,
});

/** the seed's view: every instance of these protocols on these hosts */
const every = z.strictObject({
  hosts: z.array(hostName()).min(1, { error: 'expected a list of at least 1 host' }),
  protocols: z.record(z.string(), z.array(port()).min(1, { error: 'expected a list of at least 1 port' })).superRefine((r, ctx) => {
    for (const k of Object.keys(r))
      if (!(schemes as readonly string[]).includes(k))
        ctx.addIssue({ code: 'custom', message: `expected a protocol (${schemes.join(', ')}), got ${got(k)}`, path: [k] });
  }),
  dependsOn,
  ...settings,
  ...credentials,
});

const route = z
  .strictObject({
    email: z
      .array(text('an e-mail address').regex(/^[^<>@\s]+@[^<>@\s]+$/, { error: (iss) => expected('an e-mail address like ops@corp.example', iss.input) }))
      .min(1, { error: 'expected a list of at least 1 address' })
      .optional(),
    /** true: notify.webhook; or a URL of its own (with notify.webhook's headers and deadline) */
    webhook: z.union([z.literal(true), z.strictObject({ url: text('an http:// or https:// URL').regex(/^https?:\/\//i) })]).optional(),
  })
  .superRefine((o, ctx) => {
    if (!o.email && !o.webhook) ctx.addIssue({ code: 'custom', message: 'a route sends e-mail (email: [addresses]) or a webhook (webhook: true), or both' });
  });

const defaults = z
  .strictObject({
    intervalMs: wholeNumber('milliseconds', 1000, 86_400_000).default(60_000),
    timeoutMs: wholeNumber('milliseconds', 1, 600_000).default(10_000),
    failures: wholeNumber('a count of probes', 1, 100).default(2),
    successes: wholeNumber('a count of probes', 1, 100).default(1),
    reminderMs: wholeNumber('milliseconds', 0, 604_800_000).default(3_600_000),
    warning: range().optional(),
    critical: range().optional(),
    certWarningDays: wholeNumber('days', 0, 3650).default(21),
    certCriticalDays: wholeNumber('days', 0, 3650).default(7),
    alert: z.array(text('the name of an alert route (a key of monitor.routes)')).optional(),
    tls: tls.optional(),
  })
  .prefault({});

export const monitorSchema = z
  .strictObject({
    defaults,
    /** at most this many probes at once */
    concurrency: wholeNumber('probes at once', 1, 10_000).default(64),
    /** the intervals vary by up to this fraction, so that instances spread over the interval */
    jitter: z
      .number({ error: (iss) => expected('a fraction from 0 to 0.5', iss.input) })
      .min(0)
      .max(0.5)
      .default(0.1),
    /** where open alerts are kept across restarts (default: next to the DuckDB file, else the config file) */
    stateFile: filePath('the path of the state file').optional(),
    routes: z.record(text('a route name'), route).default({}),
    links: z.array(link).default([]),
    hosts: z.array(host).default([]),
    every: z.array(every).default([]),
  })
  .superRefine((o, ctx) => {
    const routes = new Set(Object.keys(o.routes));
    const checkAlert = (alert: readonly string[] | undefined, path: PropertyKey[]) => {
      for (const [i, r] of (alert ?? []).entries())
        if (!routes.has(r))
          ctx.addIssue({
            code: 'custom',
            message: `no route named ${JSON.stringify(r)} under monitor.routes${routes.size ? ` (routes: ${[...routes].join(', ')})` : ''}`,
            path: [...path, 'alert', i],
          });
    };
    checkAlert(o.defaults.alert, ['defaults']);
    const names = new Map<string, PropertyKey[]>();
    const declare = (name: string, path: PropertyKey[]) => {
      if (names.has(name) && (path[0] === 'links' || names.get(name)![0] === 'links'))
        ctx.addIssue({ code: 'custom', message: `${JSON.stringify(name)} is both a host and a link`, path: [...path, 'name'] });
      else names.set(name, path);
    };
    o.links.forEach((l, i) => {
      declare(l.name, ['links', i]);
      checkAlert(l.alert, ['links', i]);
    });
    o.hosts.forEach((h, i) => {
      declare(h.name, ['hosts', i]);
      checkAlert(h.alert, ['hosts', i]);
      h.services.forEach((s, j) => {
        checkAlert(s.alert, ['hosts', i, 'services', j]);
        s.instances.forEach((inst, k) => {
          checkAlert(inst.alert, ['hosts', i, 'services', j, 'instances', k]);
          const p = parseInstanceUrl(inst.url, s.protocol);
          if (typeof p === 'string') ctx.addIssue({ code: 'custom', message: p, path: ['hosts', i, 'services', j, 'instances', k] });
        });
      });
    });
    for (const [i, l] of o.links.entries()) {
      for (const [k, inst] of l.instances.entries()) {
        const p = parseInstanceUrl(inst.url, 'tcp');
        if (typeof p === 'string') ctx.addIssue({ code: 'custom', message: p, path: ['links', i, 'instances', k] });
      }
    }
    o.every.forEach((e, i) => {
      checkAlert(e.alert, ['every', i]);
      for (const h of e.hosts) if (!names.has(h)) names.set(h, ['every', i]);
    });
    // dependencies name hosts or links, and go nowhere in a circle
    const deps = new Map<string, string[]>();
    const addDeps = (name: string, list: readonly string[] | undefined, path: PropertyKey[]) => {
      for (const [i, d] of (list ?? []).entries()) {
        if (!names.has(d)) ctx.addIssue({ code: 'custom', message: `no host or link named ${JSON.stringify(d)}`, path: [...path, 'dependsOn', i] });
        else if (d === name) ctx.addIssue({ code: 'custom', message: 'a host cannot depend on itself', path: [...path, 'dependsOn', i] });
        else deps.set(name, [...(deps.get(name) ?? []), d]);
      }
    };
    for (const [i, l] of o.links.entries()) addDeps(l.name, l.dependsOn, ['links', i]);
    for (const [i, h] of o.hosts.entries()) addDeps(h.name, h.dependsOn, ['hosts', i]);
    o.every.forEach((e, i) => {
      for (const h of e.hosts) addDeps(h, e.dependsOn, ['every', i]);
    });
    for (const start of deps.keys()) {
      const seen = new Set<string>();
      const walk = (n: string): boolean => {
        if (n === start && seen.size) return true;
        if (seen.has(n)) return false;
        seen.add(n);
        return (deps.get(n) ?? []).some(walk);
      };
      if (walk(start)) {
        ctx.addIssue({ code: 'custom', message: `the dependencies of ${JSON.stringify(start)} lead back to it`, path: [...names.get(start)!, 'dependsOn'] });
        break;
      }
    }
  });

export type MonitorSection = z.output<typeof monitorSchema>;

/** URL or address:port (with the service's protocol) to its parts; a string is the error. The URL is
 *  read by parseTarget (target.ts), as `mxray check URL` reads it; the config only words a few
 *  refusals its own way (keys instead of command-line options) and allows the built-in schemes */
export function parseInstanceUrl(
  v: string,
  protocol: Scheme | undefined,
): { scheme: Scheme; address: string; port: number; path?: string; url: string; user?: string } | string {
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(v);
  if (!hasScheme && !protocol) return `expected a URL like smtp://mx1.corp.example:25 (address:port needs the service's protocol:), got ${got(v)}`;
  const text = hasScheme ? v : `${protocol}://${v}`;
  const scheme = text.slice(0, text.indexOf(':')).toLowerCase();
  if (!(schemes as readonly string[]).includes(scheme)) return `expected a URL of one of ${schemes.join(', ')}, got ${got(v)}`;
  try {
    const t = parseTarget(text);
    return {
      scheme: t.scheme,
      address: t.address,
      port: t.port,
      url: t.url,
      ...(t.path !== undefined ? { path: t.path } : {}),
      ...(t.credentials ? { user: t.credentials.user } : {}),
    };
  } catch (e) {
    if (!(e instanceof TargetError)) throw e;
    switch (e.problem) {
      case 'password':
        return 'the URL holds a password: give user: and passwordFile: PATH (or passwordEnv: NAME) instead';
      case 'port':
        if (!e.message.includes('no default port')) return `expected a port 1-65535 in ${got(v)}`;
        return `${scheme}:// needs a port, like ${scheme}://${/^[^:]+:\/\/(?:[^@/]*@)?(\[[^\]]*\]|[^:/?#]*)/.exec(text)?.[1] || 'host'}:22`;
      case 'path':
        return `a ${scheme}:// URL has no path, got ${got(v)}`;
      default:
        return `expected a URL like smtp://mx1.corp.example:25, or address:port, got ${got(v)}`;
    }
  }
}

export interface RepairCommand {
  readonly command: readonly string[];
  readonly timeoutMs: number;
}

/** an instance as the monitor sees it: the probe target and what to do with its results */
export interface MonitoredTarget extends ProbeTarget {
  /** host/service/instance: stable across reloads while the config names it the same */
  readonly key: string;
  readonly intervalMs: number;
  readonly failures: number;
  readonly successes: number;
  readonly reminderMs: number;
  /** names of monitor.routes */
  readonly routes: readonly string[];
  readonly repair?: RepairCommand;
  /** hosts or links this one's host is reached through */
  readonly dependsOn: readonly string[];
  /** a link rather than a host */
  readonly link?: boolean;
}

type Settings = { [K in keyof typeof settings]?: z.output<(typeof settings)[K]> };

function merge(...layers: (Settings | undefined)[]): Settings {
  const out: Settings = {};
  for (const l of layers) {
    if (!l) continue;
    for (const k of Object.keys(settings) as (keyof Settings)[]) {
      const v = l[k];
      if (v === undefined) continue;
      // TLS settings merge key by key: a host's ca and an instance's serverName together
      if (k === 'tls') out.tls = { ...out.tls, ...(v as TargetTls) };
      else (out as Record<string, unknown>)[k] = v;
    }
  }
  return out;
}

/** every instance of the section as a probe target with its settings resolved, in config order
 *  (links first, then hosts, then `every:` expansions); an instance named twice is kept once */
export function targetsOf(section: MonitorSection): MonitoredTarget[] {
  const d = section.defaults;
  const allRoutes = Object.keys(section.routes);
  const out: MonitoredTarget[] = [];
  const seen = new Set<string>();
  const add = (
    hostName: string,
    serviceName: string,
    inst: { url: string; name?: string; http?: ProbeTarget['http']; repair?: RepairCommand; user?: string; password?: Secret },
    protocol: Scheme | undefined,
    layers: (Settings | undefined)[],
    creds: { user?: string; password?: Secret } | undefined,
    dependsOn: readonly string[] | undefined,
    link: boolean,
  ) => {
    const p = parseInstanceUrl(inst.url, protocol);
    if (typeof p === 'string') throw new Error(p);
    const s = merge(d as Settings, ...layers);
    const name = inst.name ?? `${p.address.includes(':') ? `[${p.address}]` : p.address}:${p.port}`;
    const key = `${hostName}/${serviceName}/${name}`;
    if (seen.has(key)) return;
    seen.add(key);
    const user = inst.user ?? creds?.user ?? p.user;
    const password = inst.password ?? creds?.password;
    out.push({
      key,
      host: hostName,
      service: serviceName,
      instance: name,
      url: p.url,
      scheme: p.scheme,
      address: p.address,
      port: p.port,
      ...(p.path !== undefined ? { path: p.path } : {}),
      tls: s.tls ?? {},
      timeoutMs: s.timeoutMs ?? d.timeoutMs,
      ...(user !== undefined && password ? { credentials: { user, password: password.reveal() } } : {}),
      ...(inst.http ? { http: inst.http } : {}),
      ...(s.warning !== undefined ? { warning: s.warning } : {}),
      ...(s.critical !== undefined ? { critical: s.critical } : {}),
      certWarningDays: s.certWarningDays ?? d.certWarningDays,
      certCriticalDays: s.certCriticalDays ?? d.certCriticalDays,
      intervalMs: s.intervalMs ?? d.intervalMs,
      failures: s.failures ?? d.failures,
      successes: s.successes ?? d.successes,
      reminderMs: s.reminderMs ?? d.reminderMs,
      routes: s.alert ?? allRoutes,
      ...(inst.repair ? { repair: inst.repair } : {}),
      dependsOn: dependsOn ?? [],
      ...(link ? { link: true } : {}),
    });
  };
  for (const l of section.links) {
    for (const inst of l.instances) add(l.name, 'link', inst, 'tcp', [l, inst], undefined, l.dependsOn, true);
  }
  for (const h of section.hosts) {
    for (const s of h.services) {
      for (const inst of s.instances)
        add(h.name, s.name, { ...inst, ...((inst.http ?? s.http) ? { http: inst.http ?? s.http } : {}) }, s.protocol, [h, s, inst], s, h.dependsOn, false);
    }
  }
  for (const e of section.every) {
    for (const h of e.hosts) {
      const hostEntry = section.hosts.find((x) => x.name === h);
      for (const [scheme, ports] of Object.entries(e.protocols) as [Scheme, number[]][]) {
        for (const p of ports) {
          const address = h.includes(':') ? `[${h}]` : h;
          add(h, serviceOfScheme(scheme), { url: `${scheme}://${address}:${p}` }, scheme, [hostEntry, e], e, e.dependsOn ?? hostEntry?.dependsOn, false);
        }
      }
    }
  }
  return out;
}

export const monitorSection = defineSection({
  key: 'monitor',
  schema: monitorSchema,
  doc: `# Service monitoring: \`mxray serve\` probes every instance on its schedule, alerts, repairs and keeps
# the history; \`mxray check --config\` probes them once. Hosts hold services, services hold
# instances (a virtual server: one address:port). Settings under defaults: apply everywhere unless
# a host, service or instance sets its own.
monitor:
  defaults:
    intervalMs: 60000                             # probe each instance this often
    timeoutMs: 10000                              # a whole probe's deadline
    failures: 2                                   # failed probes in a row before a problem is alerted
    successes: 1                                  # good probes in a row before the recovery
    reminderMs: 3600000                           # repeat an open problem's alert; 0: never
    warning: 1                                    # response time ranges in seconds (Monitoring Plugins: 1, 0.5:2, @1:2)
    critical: 5
    certWarningDays: 21                           # certificate days left: warning at or below …
    certCriticalDays: 7                           # … critical at or below
    alert: [ops]                                  # routes below; default: every route
  concurrency: 64                                 # probes at once
  jitter: 0.1                                     # intervals vary by up to 10% so probes spread out
  # stateFile: /var/lib/mxray/monitor-state.json  # open alerts across restarts (default: beside the store)
  routes:
    ops:
      email: [mail-admins@corp.example]           # through notify.smtp
      webhook: true                               # notify.webhook (or { url: https://… } of its own)
  links:                                          # network links: when one is down, the hosts behind it
    - name: wan-branch                            # send one alert (the link's), not one each
      instances: [tcp://10.20.0.1:22]
  hosts:
    - name: mx1.corp.example
      services:
        - name: SMTP
          intervalMs: 30000
          instances:
            - smtp://mx1.corp.example:25
            - url: smtp://mx1.corp.example:2525   # the second virtual server
              name: relay
              repair:                             # run when it goes down (no shell), killed at its timeout
                command: [systemctl, start, postfix@relay]
                timeoutMs: 30000
        - name: IMAP
          instances:
            - url: imaps://mx1.corp.example:993
              user: probe@corp.example            # log in too
              passwordEnv: MXRAY_PROBE_PASSWORD
              tls: { serverName: mail.corp.example }
    - name: branch-mx.corp.example
      dependsOn: [wan-branch]
      services:
        - name: SMTP
          protocol: smtp                          # instances as address:port
          instances: [10.20.0.25:25]
  every:                                          # every instance of these protocols on these hosts
    - hosts: [mx2.corp.example, mx3.corp.example]
      protocols:
        smtp: [25, 2525]
        imaps: [993]
        pop3s: [995]
`,
});
