// vsftpd for monitoring tests: FTP with AUTH TLS (explicit FTPS) on one port and implicit FTPS on
// another (two vsftpd processes), 127.0.0.1, anonymous read-only login (user "anonymous" or "ftp")
// serving hello.txt (VSFTPD_HELLO). Certificate from the test CA. Runs as root (anonymous sessions
// drop to the packaged `ftp` user).
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type IssuedCert, issueCert, SERVER_NAMES, type TestCa, testCa } from '../test-ca.js';
import {
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
  waitReady,
  withFreePorts,
} from './daemon.js';

export const vsftpdEnv = 'MXRAY_TEST_VSFTPD';
export const vsftpdNeeds: Needs = { server: 'vsftpd', packages: ['vsftpd'], programs: ['vsftpd'], root: true };
export const vsftpdSkipReason = (): string | false => skipReasonFor(vsftpdNeeds);

/** the content of /hello.txt */
export const VSFTPD_HELLO = 'hello from vsftpd\n';

export interface VsftpdInfo {
  readonly host: string;
  /** FTP, AUTH TLS offered */
  readonly ftpPort: number;
  /** implicit FTPS */
  readonly ftpsPort: number;
  readonly dir: string;
  readonly caFile: string;
  readonly pids: readonly number[];
}

export type VsftpdServer = VsftpdInfo & ServerHandle;

function conf(dir: string, port: number, implicit: boolean, cert: IssuedCert): string {
  return `# throwaway config written by src/testing/servers/vsftpd.ts
listen=YES
listen_ipv6=NO
listen_address=${HOST}
listen_port=${port}
background=NO
isolate=NO
isolate_network=NO
seccomp_sandbox=NO
secure_chroot_dir=${dir}/empty
anonymous_enable=YES
no_anon_password=YES
anon_root=${dir}/pub
local_enable=NO
write_enable=NO
pasv_enable=YES
pasv_address=${HOST}
ftpd_banner=mxray-test FTP server
vsftpd_log_file=${dir}/vsftpd-${port}.log
xferlog_enable=YES
dual_log_enable=YES
log_ftp_protocol=YES
ssl_enable=YES
implicit_ssl=${implicit ? 'YES' : 'NO'}
allow_anon_ssl=YES
force_anon_logins_ssl=NO
force_anon_data_ssl=NO
force_local_logins_ssl=NO
force_local_data_ssl=NO
require_ssl_reuse=NO
ssl_ciphers=HIGH
rsa_cert_file=${cert.certFile}
rsa_private_key_file=${cert.keyFile}
`;
}

/** a vsftpd pair of the caller's own on free loopback ports */
export async function startVsftpd(opts: { ca?: TestCa } = {}): Promise<VsftpdServer> {
  ensureInstalled(vsftpdNeeds);
  const ca = opts.ca ?? testCa();
  const dir = makeWorkdir('vsftpd');
  try {
    const cert = issueCert(ca, join(dir, 'tls'), { names: [...SERVER_NAMES] });
    for (const sub of ['pub', 'pub/dir1', 'empty']) {
      mkdirSync(join(dir, sub));
      chmodSync(join(dir, sub), 0o755);
    }
    writeFileSync(join(dir, 'pub', 'hello.txt'), VSFTPD_HELLO);
    return await withFreePorts(2, async ([ftpPort, ftpsPort]) => {
      writeFileSync(join(dir, 'vsftpd.conf'), conf(dir, ftpPort!, false, cert));
      writeFileSync(join(dir, 'vsftpd-implicit.conf'), conf(dir, ftpsPort!, true, cert));
      const log = join(dir, 'vsftpd.stdout');
      const ds: Daemon[] = [
        spawnDaemon('vsftpd', 'vsftpd', [join(dir, 'vsftpd.conf')], log),
        spawnDaemon('vsftpd (implicit TLS)', 'vsftpd', [join(dir, 'vsftpd-implicit.conf')], log),
      ];
      const stopAll = async (): Promise<void> => {
        await Promise.all(ds.map((d) => d.stop()));
      };
      try {
        await waitReady('vsftpd', [{ port: ftpPort!, expect: /^220 / }, { port: ftpsPort! }], ds, [log]);
      } catch (err) {
        await stopAll();
        throw err;
      }
      let stopping: Promise<void> | undefined;
      return {
        host: HOST,
        ftpPort: ftpPort!,
        ftpsPort: ftpsPort!,
        dir,
        caFile: ca.caFile,
        pids: ds.map((d) => d.pid),
        shared: false,
        stop: () => {
          stopping ??= stopAll().then(() => removeWorkdir(dir));
          return stopping;
        },
      };
    });
  } catch (err) {
    removeWorkdir(dir);
    throw err;
  }
}

/** the test run's vsftpd (MXRAY_TEST_VSFTPD), or one of this process's own started on first use */
export const sharedVsftpd = sharedGetter<VsftpdInfo, VsftpdServer>(
  vsftpdEnv,
  () => startVsftpd(),
  (info) => ({ ...info, shared: true, stop: async () => {} }),
);

export const vsftpdShared: SharedServer = {
  name: 'vsftpd',
  envName: vsftpdEnv,
  uses: /\bsharedVsftpd\(/,
  skipReason: vsftpdSkipReason,
  async start(ca) {
    const s = await startVsftpd({ ca });
    return { env: { [vsftpdEnv]: JSON.stringify(infoOf(s)) }, label: `vsftpd on ${s.ftpPort}/${s.ftpsPort}`, stop: s.stop };
  },
};
