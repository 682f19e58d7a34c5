// `npm run bench -- presence-poll` (main.ts runs this file as a child process, with the test CA it
// made trusted through NODE_EXTRA_CA_CERTS, which Node reads only at start): a real slapd of the test
// harness with N generated users (ou=Bench, each with an msExchIMAddress; read by the ordinary
// reader account, so paged) and a real Prosody with their accounts, then presence-poll.ts's cycles
// with the store's recorder writing to a DuckDB file. N: MXRAY_BENCH_POLL_USERS (default 20,000);
// live XMPP sessions: MXRAY_BENCH_POLL_LIVE (default 200); cycles: MXRAY_BENCH_POLL_CYCLES (3).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../config/load.js';
import { sections } from '../config/sections.js';
import { openPresenceRecorder } from '../capabilities/presence/recorder.js';
import { DuckdbStore } from '../store/duckdb/store.js';
import { LiveLog } from '../store/live.js';
import { DIRECTORY_BASE, DIRECTORY_DOMAIN } from '../testing/servers/directory.js';
import { addProsodyAccounts, startProsody, xmppPassword } from '../testing/servers/prosody.js';
import { startSlapd } from '../testing/servers/slapd.js';
import { benchPresencePoll } from './presence-poll.js';

const users = Number(process.env.MXRAY_BENCH_POLL_USERS ?? 20_000);
const liveCount = Math.min(users, Number(process.env.MXRAY_BENCH_POLL_LIVE ?? 200));
const cycles = Number(process.env.MXRAY_BENCH_POLL_CYCLES ?? 3);
const BENCH_OU = `ou=Bench,${DIRECTORY_BASE}`;

const names = Array.from({ length: users }, (_, i) => `bench${String(i + 1).padStart(5, '0')}`);
const ldif = [
  `dn: ${BENCH_OU}\nobjectClass: organizationalUnit\nou: Bench\n`,
  ...names.map(
    (n, i) =>
      `dn: uid=${n},${BENCH_OU}\nobjectClass: inetOrgPerson\nobjectClass: probeIMUser\nuid: ${n}\ncn: Bench ${i + 1}\nsn: ${i + 1}\nmail: ${n}@${DIRECTORY_DOMAIN}\nmsExchIMAddress: ${n}@${DIRECTORY_DOMAIN}\n`,
  ),
].join('\n');

const out: string[] = [];
const t0 = performance.now();
const slapd = await startSlapd({ extraLdif: ldif });
const tSlapd = (performance.now() - t0) / 1000;
const t1 = performance.now();
// the live ones outside the shared group (the observer asks them for a subscription), the rest in it
const prosody = await startProsody({ accounts: names.slice(liveCount) });
addProsodyAccounts(prosody, names.slice(0, liveCount));
const tProsody = (performance.now() - t1) / 1000;
out.push(
  `set up: slapd with ${users.toLocaleString('en-US')} users in ${tSlapd.toFixed(1)} s; Prosody with their accounts (${(users - liveCount).toLocaleString('en-US')} in the observer's shared group, ${liveCount} by subscription) in ${tProsody.toFixed(1)} s`,
);
const dir = mkdtempSync(join(tmpdir(), 'mxray-bench-poll-'));
const store = await DuckdbStore.open(join(dir, 'presence.duckdb'));
try {
  const text = [
    'directory:',
    `  url: ${slapd.url}`,
    `  bindDn: ${slapd.reader.dn}`,
    '  passwordEnv: LDAP_PW',
    `  base: ${BENCH_OU}`,
    '  attributes:',
    '    account: uid',
    '  tls:',
    '    starttls: true',
    '  timeoutMs: 60000',
    'presence:',
    '  interval: 15m',
    '  source: xmpp',
    '  xmpp:',
    `    service: ${prosody.service}`,
    `    jid: observer@${prosody.domain}`,
    '    passwordEnv: XMPP_PW',
    '    subscribe: true',
    '  enrol:',
    '    imAddress: [msExchIMAddress]',
    '    filter: (msExchIMAddress=*)',
    '    pageSize: 1000',
  ].join('\n');
  const c = parseConfig(text, { path: join(dir, 'mxray.yaml'), shown: 'bench mxray.yaml', via: '--config' }, sections, {
    env: { LDAP_PW: slapd.reader.password, XMPP_PW: xmppPassword('observer') },
  });
  const recorder = await openPresenceRecorder(store, await LiveLog.open(store, 'presence-poll'), { intervalS: 900, tz: 'UTC' });
  out.push(
    (
      await benchPresencePoll({
        presence: c.section('presence')!,
        directory: c.section('directory')!,
        recorder,
        users,
        live: names.slice(0, liveCount).map((n) => [n, xmppPassword(n)] as const),
        service: prosody.service,
        domain: prosody.domain,
        cycles,
        idleMs: 5000,
      })
    ).trimEnd(),
  );
  out.push(`peak RSS of the poller process (recorder and DuckDB store included): ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`);
} finally {
  await store.close();
  await prosody.stop();
  await slapd.stop();
  rmSync(dir, { recursive: true, force: true });
}
process.stdout.write(`${out.join('\n')}\n`);
