// OpenLDAP slapd for presence tests: the generated directory of directory.ts (1,200 users under
// dc=example,dc=org, IM addresses, opt-outs, groups with memberOf), StartTLS on the ldap port and
// ldaps on a second one, certificate from the test CA. The soft size limit is small (10), so an
// ordinary account (DIRECTORY_READER) must page; the admin ignores limits.
//
//   const ldap = await sharedSlapd();   // { url, ldapsUrl, base, reader, … }; compare with directoryTruth()
//   after(() => ldap.stop());
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type IssuedCert, issueCert, SERVER_NAMES, type TestCa, testCa } from '../test-ca.js';
import { DIRECTORY_ADMIN, DIRECTORY_BASE, DIRECTORY_READER, DIRECTORY_SIZE_LIMIT, directoryLdif, PROBE_SCHEMA } from './directory.js';
import {
  type Daemon,
  ensureInstalled,
  HOST,
  infoOf,
  makeWorkdir,
  type Needs,
  removeWorkdir,
  runSetup,
  type ServerHandle,
  type SharedServer,
  sharedGetter,
  skipReasonFor,
  spawnDaemon,
  waitReady,
  withFreePorts,
} from './daemon.js';

export const slapdEnv = 'MXRAY_TEST_SLAPD';
export const slapdNeeds: Needs = { server: 'slapd', packages: ['slapd', 'ldap-utils'], programs: ['slapd', 'slapadd'] };
export const slapdSkipReason = (): string | false => skipReasonFor(slapdNeeds);

export interface SlapdInfo {
  readonly host: string;
  /** StartTLS offered */
  readonly ldapPort: number;
  /** implicit TLS */
  readonly ldapsPort: number;
  /** ldap://127.0.0.1:PORT */
  readonly url: string;
  /** ldaps://127.0.0.1:PORT (the certificate also names localhost) */
  readonly ldapsUrl: string;
  readonly base: string;
  readonly admin: { readonly dn: string; readonly password: string };
  /** the read-only bind account (subject to the size limit: it must page) */
  readonly reader: { readonly dn: string; readonly password: string };
  readonly sizeLimit: number;
  /** the work folder (slapd.conf, data/, slapd.log) */
  readonly dir: string;
  /** the CA that issued its certificate */
  readonly caFile: string;
  readonly pid: number;
}

export type SlapdServer = SlapdInfo & ServerHandle;

export interface SlapdOptions {
  /** the CA issuing its certificate (default testCa()) */
  ca?: TestCa;
  /** more entries (LDIF) loaded after the test directory, e.g. thousands of users for a benchmark */
  extraLdif?: string;
}

function slapdConf(dir: string, cert: IssuedCert, maxBytes = 67108864): string {
  return `# throwaway config written by src/testing/servers/slapd.ts; nothing from /etc/ldap/slapd.d is used
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
include ${dir}/probe-im.schema
pidfile  ${dir}/slapd.pid
argsfile ${dir}/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
TLSCertificateFile ${cert.certFile}
TLSCertificateKeyFile ${cert.keyFile}
# a small soft limit: un-paged searches are cut short, clients must page (the admin ignores limits)
sizelimit size.soft=${DIRECTORY_SIZE_LIMIT} size.hard=unlimited size.prtotal=unlimited
database mdb
maxsize ${maxBytes}
suffix "${DIRECTORY_BASE}"
rootdn "${DIRECTORY_ADMIN.dn}"
rootpw ${DIRECTORY_ADMIN.password}
directory ${dir}/data
index objectClass eq
index uid eq
index msExchIMAddress eq,pres
index member eq
access to dn.base="" by * read
access to dn.base="cn=Subschema" by * read
access to attrs=userPassword by self write by anonymous auth by * none
access to * by users read by * none
overlay memberof
memberof-group-oc groupOfNames
memberof-member-ad member
memberof-memberof-ad memberOf
memberof-refint true
`;
}

/** a slapd of the caller's own on free loopback ports */
export async function startSlapd(opts: SlapdOptions = {}): Promise<SlapdServer> {
  ensureInstalled(slapdNeeds);
  const ca = opts.ca ?? testCa();
  const dir = makeWorkdir('slapd');
  try {
    const cert = issueCert(ca, join(dir, 'tls'), { names: [...SERVER_NAMES] });
    writeFileSync(join(dir, 'probe-im.schema'), PROBE_SCHEMA);
    // room for the extra entries (a map size, not space taken: ~2 KB an entry with its indexes)
    writeFileSync(join(dir, 'slapd.conf'), slapdConf(dir, cert, opts.extraLdif ? 67108864 + opts.extraLdif.length * 32 : undefined));
    writeFileSync(join(dir, 'data.ldif'), opts.extraLdif ? `${directoryLdif()}\n${opts.extraLdif}` : directoryLdif());
    mkdirSync(join(dir, 'data'));
    // load the directory offline (no overlays run: memberOf is in the LDIF)
    await runSetup('slapadd', ['-q', '-f', join(dir, 'slapd.conf'), '-l', join(dir, 'data.ldif')]);
    return await withFreePorts(2, async ([ldapPort, ldapsPort]) => {
      const log = join(dir, 'slapd.log');
      const d: Daemon = spawnDaemon(
        'slapd',
        'slapd',
        ['-f', join(dir, 'slapd.conf'), '-h', `ldap://${HOST}:${ldapPort}/ ldaps://${HOST}:${ldapsPort}/`, '-d', '0'],
        log,
        { stopSignal: 'SIGINT' },
      );
      try {
        await waitReady('slapd', [{ port: ldapPort! }, { port: ldapsPort! }], [d], [log]);
      } catch (err) {
        await d.stop();
        throw err;
      }
      let stopping: Promise<void> | undefined;
      return {
        host: HOST,
        ldapPort: ldapPort!,
        ldapsPort: ldapsPort!,
        url: `ldap://${HOST}:${ldapPort}`,
        ldapsUrl: `ldaps://${HOST}:${ldapsPort}`,
        base: DIRECTORY_BASE,
        admin: { ...DIRECTORY_ADMIN },
        reader: { ...DIRECTORY_READER },
        sizeLimit: DIRECTORY_SIZE_LIMIT,
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

/** the test run's slapd (MXRAY_TEST_SLAPD), or one of this process's own started on first use;
 *  stop() releases it */
export const sharedSlapd = sharedGetter<SlapdInfo, SlapdServer>(
  slapdEnv,
  () => startSlapd(),
  (info) => ({ ...info, shared: true, stop: async () => {} }),
);

/** for run-servers.ts */
export const slapdShared: SharedServer = {
  name: 'slapd',
  envName: slapdEnv,
  uses: /\bsharedSlapd\(/,
  skipReason: slapdSkipReason,
  async start(ca) {
    const s = await startSlapd({ ca });
    return { env: { [slapdEnv]: JSON.stringify(infoOf(s)) }, label: `slapd on ${s.ldapPort}/${s.ldapsPort}`, stop: s.stop };
  },
};
