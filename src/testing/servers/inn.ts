// INN (innd + nnrpd) for monitoring tests: NNTP on 127.0.0.1 with STARTTLS (innd hands every reader
// to nnrpd: incoming.conf is empty, so no peer feeds) and implicit TLS (a standalone `nnrpd -D -S`:
// innd has none). Groups local.test and local.general (posting allowed), certificate from the test
// CA. An isolated config tree (INNCONF) under the work folder; runs as the packaged `news` user.
import { chmodSync, chownSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { issueCert, SERVER_NAMES, type TestCa, testCa } from '../test-ca.js';
import {
  chownTo,
  type Daemon,
  ensureInstalled,
  HOST,
  infoOf,
  isRoot,
  makeWorkdir,
  type Needs,
  removeWorkdir,
  runSetup,
  type ServerHandle,
  type SharedServer,
  sharedGetter,
  skipReasonFor,
  spawnDaemon,
  systemUser,
  waitReady,
  withFreePorts,
} from './daemon.js';

export const innEnv = 'MXRAY_TEST_INN';
const BIN = '/usr/lib/news/bin';
export const innNeeds: Needs = { server: 'inn2', packages: ['inn2'], programs: [`${BIN}/innd`, `${BIN}/nnrpd`, `${BIN}/makedbz`], root: true };
export const innSkipReason = (): string | false => skipReasonFor(innNeeds);

/** the newsgroups the server carries (all open for reading and posting) */
export const INN_GROUPS = ['local.test', 'local.general'] as const;

export interface InnInfo {
  readonly host: string;
  /** innd: NNTP, STARTTLS offered (by nnrpd) */
  readonly nntpPort: number;
  /** nnrpd with implicit TLS */
  readonly nntpsPort: number;
  readonly groups: readonly string[];
  readonly dir: string;
  readonly caFile: string;
  readonly pids: readonly number[];
}

export type InnServer = InnInfo & ServerHandle;

const OVERRIDDEN =
  /^(domain|fromhost|server|pathhost|port|bindaddress|bindaddress6|nnrpdpostport|pathdb|pathetc|pathfilter|pathrun|pathlog|pathspool|pathtmp|pathoverview|patharticles|pathincoming|pathoutgoing|patharchive|pathhttp|tlscertfile|tlskeyfile|doinnwatch|mta|organization|artcutoff):/;

/** an INN of the caller's own on free loopback ports */
export async function startInn(opts: { ca?: TestCa } = {}): Promise<InnServer> {
  ensureInstalled(innNeeds);
  const ca = opts.ca ?? testCa();
  const dir = makeWorkdir('inn');
  try {
    const news = systemUser('news');
    const cert = issueCert(ca, join(dir, 'tls'), { names: [...SERVER_NAMES] });
    if (news && isRoot()) {
      chownSync(cert.keyFile, 0, news.gid);
      chmodSync(cert.keyFile, 0o640);
    }
    for (const sub of [
      'etc',
      'db',
      'run',
      'log/OLD',
      'spool/articles',
      'spool/overview',
      'spool/incoming/tmp',
      'spool/incoming/bad',
      'spool/outgoing',
      'spool/archive',
      'spool/innfeed',
    ])
      mkdirSync(join(dir, sub), { recursive: true });
    cpSync('/etc/news', join(dir, 'etc'), { recursive: true });
    return await withFreePorts(2, async ([nntpPort, nntpsPort]) => {
      const base = readFileSync('/etc/news/inn.conf', 'utf8')
        .split('\n')
        .filter((l) => !OVERRIDDEN.test(l))
        .join('\n');
      const innconf = join(dir, 'etc', 'inn.conf');
      writeFileSync(
        innconf,
        `${base}
organization:   "mxray test"
domain:         example.org
fromhost:       news.example.org
server:         ${HOST}
pathhost:       news.example.org
port:           ${nntpPort}
nnrpdpostport:  ${nntpPort}
bindaddress:    ${HOST}
bindaddress6:   none
doinnwatch:     false
artcutoff:      0
mta:            "/bin/true %s"
pathetc:        ${dir}/etc
pathfilter:     /etc/news/filter
pathdb:         ${dir}/db
pathrun:        ${dir}/run
pathlog:        ${dir}/log
pathhttp:       ${dir}/log
pathspool:      ${dir}/spool
pathtmp:        ${dir}/spool/incoming/tmp
pathoverview:   ${dir}/spool/overview
patharticles:   ${dir}/spool/articles
pathincoming:   ${dir}/spool/incoming
pathoutgoing:   ${dir}/spool/outgoing
patharchive:    ${dir}/spool/archive
tlscertfile:    ${cert.certFile}
tlskeyfile:     ${cert.keyFile}
`,
      );
      // no feeding peers: every connection, 127.0.0.1's too, is a reader handed to nnrpd
      writeFileSync(join(dir, 'etc', 'incoming.conf'), '');
      writeFileSync(
        join(dir, 'etc', 'readers.conf'),
        `auth "local" {\n    hosts: "127.0.0.1, localhost, stdin"\n    default: "<local>"\n}\naccess "local" {\n    users: "<local>"\n    newsgroups: "*"\n    access: RPA\n}\n`,
      );
      writeFileSync(
        join(dir, 'db', 'active'),
        ['control', 'control.cancel', 'junk'].map((g) => `${g} 0000000000 0000000001 n\n`).join('') +
          INN_GROUPS.map((g) => `${g} 0000000000 0000000001 y\n`).join(''),
      );
      writeFileSync(join(dir, 'db', 'newsgroups'), INN_GROUPS.map((g) => `${g}\tTest group\n`).join(''));
      for (const f of ['db/active.times', 'db/history', 'log/news.notice', 'log/news.err', 'log/news.crit']) writeFileSync(join(dir, f), '');
      for (const sub of ['etc', 'db', 'run', 'log', 'spool']) chownTo(join(dir, sub), news, true);
      const env = { ...process.env, INNCONF: innconf };
      await runSetup(`${BIN}/makedbz`, ['-i', '-o'], { env, user: news?.name });
      const log = join(dir, 'inn.stdout');
      const ds: Daemon[] = [
        // innd ignores SIGTERM for seconds (a graceful shutdown of a throwaway spool is of no use): SIGKILL
        spawnDaemon('innd', `${BIN}/innd`, ['-f'], log, { env, user: news?.name, stopSignal: 'SIGKILL' }),
        spawnDaemon('nnrpd -S', `${BIN}/nnrpd`, ['-D', '-f', '-S', '-b', HOST, '-p', String(nntpsPort)], log, { env, user: news?.name }),
      ];
      const stopAll = async (): Promise<void> => {
        await Promise.all(ds.map((d) => d.stop()));
      };
      try {
        await waitReady('inn2', [{ port: nntpPort!, expect: /^20[01] / }, { port: nntpsPort! }], ds, [
          log,
          join(dir, 'log', 'news.err'),
          join(dir, 'log', 'news.crit'),
        ]);
      } catch (err) {
        await stopAll();
        throw err;
      }
      let stopping: Promise<void> | undefined;
      return {
        host: HOST,
        nntpPort: nntpPort!,
        nntpsPort: nntpsPort!,
        groups: [...INN_GROUPS],
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

/** the test run's INN (MXRAY_TEST_INN), or one of this process's own started on first use */
export const sharedInn = sharedGetter<InnInfo, InnServer>(
  innEnv,
  () => startInn(),
  (info) => ({ ...info, shared: true, stop: async () => {} }),
);

export const innShared: SharedServer = {
  name: 'inn',
  envName: innEnv,
  uses: /\bsharedInn\(/,
  skipReason: innSkipReason,
  async start(ca) {
    const s = await startInn({ ca });
    return { env: { [innEnv]: JSON.stringify(infoOf(s)) }, label: `INN on ${s.nntpPort}/${s.nntpsPort}`, stop: s.stop };
  },
};
