// Prosody (XMPP) for presence tests: domain example.org on 127.0.0.1, a c2s port with STARTTLS
// (required) and a direct-TLS port, certificate from the test CA. Accounts (password NAME + "pw"):
// observer, alice, bob, carol, dave, all in one mod_groups shared roster group ("Staff"), so the
// observer sees their presence without subscription requests; eve is an account outside the group
// (subscribe/approve needed). alice…eve are also users of the test directory (directory.ts) with
// these XMPP addresses as their IM addresses.
//
// Accounts are files in the data folder (internal_hashed storage, computed here), written directly: thousands take
// well under a second (`accounts` at start, in the group; addProsodyAccounts() later, outside it).
// Prosody refuses to run as root: as root it runs as the packaged `prosody` user (setpriv).
//
//   const xmpp = await sharedProsody();  // { service: 'xmpp://127.0.0.1:PORT', domain, accounts, … }
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { issueCert, SERVER_NAMES, type TestCa, testCa } from '../test-ca.js';
import {
  chownTo,
  type Daemon,
  ensureInstalled,
  HOST,
  infoOf,
  makeWorkdir,
  type Needs,
  removeWorkdir,
  type ServerHandle,
  type SharedServer,
  sharedGetter,
  skipReasonFor,
  spawnDaemon,
  systemUser,
  waitReady,
  withFreePorts,
} from './daemon.js';

export const prosodyEnv = 'MXRAY_TEST_PROSODY';
export const prosodyNeeds: Needs = { server: 'prosody', packages: ['prosody'], programs: ['prosody'] };
export const prosodySkipReason = (): string | false => skipReasonFor(prosodyNeeds);

export const XMPP_DOMAIN = 'example.org';
/** the accounts in the shared roster group (every one sees the others' presence) */
export const XMPP_GROUPED = ['observer', 'alice', 'bob', 'carol', 'dave'] as const;
/** accounts outside the group */
export const XMPP_UNGROUPED = ['eve'] as const;
/** the password of an account made here */
export const xmppPassword = (name: string): string => `${name}pw`;

export interface ProsodyInfo {
  readonly host: string;
  readonly domain: string;
  /** c2s with STARTTLS (required) */
  readonly c2sPort: number;
  /** c2s with direct TLS (XEP-0368) */
  readonly directTlsPort: number;
  /** xmpp://127.0.0.1:C2S for @xmpp/client */
  readonly service: string;
  /** xmpps://127.0.0.1:DIRECT */
  readonly directTlsService: string;
  /** the account names at start (password NAME + "pw"); `grouped` share one roster group */
  readonly accounts: readonly string[];
  readonly grouped: readonly string[];
  readonly dir: string;
  readonly caFile: string;
  readonly pid: number;
}

export type ProsodyServer = ProsodyInfo & ServerHandle;

export interface ProsodyOptions {
  ca?: TestCa;
  /** more accounts in the shared roster group (password NAME + "pw"), e.g. thousands for a benchmark */
  accounts?: readonly string[];
}

/** Prosody's file name for a store key: every byte outside [A-Za-z0-9] as %xx */
function encodeName(s: string): string {
  return s.replace(/[^A-Za-z0-9]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

const lua = (s: string): string => JSON.stringify(s); // a Lua string literal for plain ASCII text

function accountsDir(dataDir: string): string {
  return join(dataDir, encodeName(XMPP_DOMAIN), 'accounts');
}

/** SCRAM-SHA-1 iterations of the stored credentials: low, so that logins cost microseconds on both
 *  sides (Prosody's default, 10,000, made each @xmpp/client login take ~1 s here); Prosody logs a
 *  warning about it (below RFC 5802's suggested 4096), which is harmless in tests */
const SCRAM_ITERATIONS = 16;

/** an internal_hashed account record, as Prosody 0.12 stores it (keys in hex) */
function hashedAccount(password: string): string {
  const salt = randomBytes(12).toString('hex');
  const salted = pbkdf2Sync(password, salt, SCRAM_ITERATIONS, 20, 'sha1');
  const storedKey = createHash('sha1').update(createHmac('sha1', salted).update('Client Key').digest()).digest('hex');
  const serverKey = createHmac('sha1', salted).update('Server Key').digest('hex');
  return `return {\n\t["iteration_count"] = ${SCRAM_ITERATIONS};\n\t["salt"] = ${lua(salt)};\n\t["stored_key"] = ${lua(storedKey)};\n\t["server_key"] = ${lua(serverKey)};\n};\n`;
}

function writeAccounts(dataDir: string, names: readonly string[], password: (n: string) => string): void {
  const dir = accountsDir(dataDir);
  mkdirSync(dir, { recursive: true });
  for (const n of names) {
    if (!/^[a-z0-9._-]+$/.test(n)) throw new Error(`prosody account "${n}": use lower-case letters, digits, . _ - only`);
    writeFileSync(join(dir, `${encodeName(n)}.dat`), hashedAccount(password(n)));
  }
}

/** add accounts to a running server of one's own (outside the shared roster group); takes effect at
 *  once (Prosody reads an account's file at login) */
export function addProsodyAccounts(server: Pick<ProsodyInfo, 'dir'>, names: readonly string[], password: (name: string) => string = xmppPassword): void {
  if (!server.dir) throw new Error('addProsodyAccounts: this server handle has no work folder');
  const data = join(server.dir, 'data');
  writeAccounts(data, names, password);
  chownTo(data, systemUser('prosody'), true);
}

/** a Prosody of the caller's own on free loopback ports */
export async function startProsody(opts: ProsodyOptions = {}): Promise<ProsodyServer> {
  ensureInstalled(prosodyNeeds);
  const ca = opts.ca ?? testCa();
  const dir = makeWorkdir('prosody');
  try {
    const user = systemUser('prosody');
    const cert = issueCert(ca, join(dir, 'tls'), { names: [...SERVER_NAMES] });
    const data = join(dir, 'data');
    const grouped = [...XMPP_GROUPED, ...(opts.accounts ?? [])];
    const accounts = [...grouped, ...XMPP_UNGROUPED];
    writeAccounts(data, accounts, xmppPassword);
    writeFileSync(join(dir, 'groups.txt'), `[Staff]\n${grouped.map((u) => `${u}@${XMPP_DOMAIN}=${u[0]!.toUpperCase()}${u.slice(1)}`).join('\n')}\n`);
    for (const sub of ['logs', 'run']) mkdirSync(join(dir, sub));
    for (const p of ['data', 'logs', 'run', 'tls']) chownTo(join(dir, p), user, true);
    return await withFreePorts(2, async ([c2sPort, directTlsPort]) => {
      const conf = join(dir, 'prosody.cfg.lua');
      writeFileSync(
        conf,
        `-- throwaway config written by src/testing/servers/prosody.ts; nothing from /etc/prosody is used
pidfile = ${lua(join(dir, 'run', 'prosody.pid'))}
data_path = ${lua(data)}
log = { info = ${lua(join(dir, 'logs', 'prosody.log'))}; error = "*stdout" }
interfaces = { "${HOST}" }
local_interfaces = { "${HOST}" }
c2s_ports = { ${c2sPort} }
c2s_direct_tls_ports = { ${directTlsPort} }
c2s_require_encryption = true
s2s_ports = { }
http_ports = { }
https_ports = { }
authentication = "internal_hashed"
storage = "internal"
ssl = { certificate = ${lua(cert.certFile)}; key = ${lua(cert.keyFile)} }
modules_enabled = { "roster", "saslauth", "tls", "disco", "ping", "posix", "groups" }
modules_disabled = { "s2s", "offline" }
groups_file = ${lua(join(dir, 'groups.txt'))}
VirtualHost "${XMPP_DOMAIN}"
  ssl = { certificate = ${lua(cert.certFile)}; key = ${lua(cert.keyFile)} }
`,
      );
      const log = join(dir, 'prosody.stdout');
      const d: Daemon = spawnDaemon('prosody', 'prosody', ['-F', '--config', conf], log, { user: user?.name, cwd: dir });
      try {
        await waitReady('prosody', [{ port: c2sPort! }, { port: directTlsPort! }], [d], [log, join(dir, 'logs', 'prosody.log')]);
      } catch (err) {
        await d.stop();
        throw err;
      }
      let stopping: Promise<void> | undefined;
      return {
        host: HOST,
        domain: XMPP_DOMAIN,
        c2sPort: c2sPort!,
        directTlsPort: directTlsPort!,
        service: `xmpp://${HOST}:${c2sPort}`,
        directTlsService: `xmpps://${HOST}:${directTlsPort}`,
        accounts,
        grouped,
        dir,
        caFile: ca.caFile,
        pid: d.pid,
        shared: false,
        stop: () => {
          stopping ??= d.stop().then(() => removeWorkdir(dir));
          return stopping;
        },
      };
    });
  } catch (err) {
    removeWorkdir(dir);
    throw err;
  }
}

/** the test run's Prosody (MXRAY_TEST_PROSODY), or one of this process's own started on first use */
export const sharedProsody = sharedGetter<ProsodyInfo, ProsodyServer>(
  prosodyEnv,
  () => startProsody(),
  (info) => ({ ...info, shared: true, stop: async () => {} }),
);

export const prosodyShared: SharedServer = {
  name: 'prosody',
  envName: prosodyEnv,
  uses: /\bsharedProsody\(/,
  skipReason: prosodySkipReason,
  async start(ca) {
    const s = await startProsody({ ca });
    return { env: { [prosodyEnv]: JSON.stringify(infoOf(s)) }, label: `Prosody on ${s.c2sPort}/${s.directTlsPort}`, stop: s.stop };
  },
};
