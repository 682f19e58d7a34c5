// `npm run bench -- presence-poll` (main.ts runs this file as a child process, with the test CA it
// made trusted through NODE_EXTRA_CA_CERTS, which Node reads only at start): a real slapd of the test
// harness with N generated users (ou=Bench, each with an msExchIMAddress; read by the ordinary
// reader account, so paged) and a real Prosody with their accounts, the live users' XMPP sessions
// (here), then the poller in a process of its own (presence-poll-child.ts) recording into a DuckDB
// file. N: MXRAY_BENCH_POLL_USERS (default 20,000); live XMPP sessions: MXRAY_BENCH_POLL_LIVE
// (default 200); cycles: MXRAY_BENCH_POLL_CYCLES (3).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DIRECTORY_BASE, DIRECTORY_DOMAIN } from '../testing/servers/directory.js';
import { addProsodyAccounts, startProsody, xmppPassword } from '../testing/servers/prosody.js';
import { startSlapd } from '../testing/servers/slapd.js';
import { describePoll, liveUsers, type PollMeasures } from './presence-poll.js';

const users = Number(process.env.MXRAY_BENCH_POLL_USERS ?? 20_000);
const liveCount = Math.min(users, Number(process.env.MXRAY_BENCH_POLL_LIVE ?? 200));
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
let live: Awaited<ReturnType<typeof liveUsers>> | undefined;
try {
  const config = [
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
  live = await liveUsers(
    prosody.service,
    prosody.domain,
    names.slice(0, liveCount).map((n) => [n, xmppPassword(n)] as const),
  );
  out.push(live.line);
  const child = spawn(process.execPath, [fileURLToPath(new URL('./presence-poll-child.js', import.meta.url))], {
    env: {
      ...process.env,
      MXRAY_BENCH_POLL_CONFIG: config,
      MXRAY_BENCH_POLL_DB: join(dir, 'presence.duckdb'),
      LDAP_PW: slapd.reader.password,
      XMPP_PW: xmppPassword('observer'),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let text = '';
  child.stdout.on('data', (d: Buffer) => {
    text += d.toString('utf8');
  });
  const code = await new Promise<number | null>((res) => child.on('close', res));
  if (code !== 0) throw new Error(`presence-poll-child.js failed (exit ${code})`);
  out.push(describePoll(JSON.parse(text.trim().split('\n').pop()!) as PollMeasures, users).trimEnd());
} finally {
  await live?.stop();
  await prosody.stop();
  await slapd.stop();
  rmSync(dir, { recursive: true, force: true });
}
process.stdout.write(`${out.join('\n')}\n`);
