// The tests' certificate authority, made with the `openssl` command (tests may use shell tools).
// scripts/run.mjs makes one per test run (run-servers.ts) and starts the test processes with
// NODE_EXTRA_CA_CERTS naming it, so Node clients in tests trust every test server's certificate with
// the default verification (no `rejectUnauthorized: false`); Node reads that variable only at process
// start. Every test server's certificate is issued by it; tests issue more (an expiring one, a wrong
// name) with issueCert().
//
//   const ca = testCa();                          // the run's CA (MXRAY_TEST_CA_DIR), or a private one
//   const leaf = issueCert(ca, dir, { names: ['localhost', '127.0.0.1'], days: 5 });
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** environment variables of the run's CA */
export const caEnv = {
  /** the folder holding ca.pem and ca.key of the test run's CA */
  dir: 'MXRAY_TEST_CA_DIR',
  /** Node's own: extra trusted certificates, read at process start (the run's ca.pem) */
  nodeExtraCaCerts: 'NODE_EXTRA_CA_CERTS',
} as const;

export interface TestCa {
  /** the folder of ca.pem and ca.key */
  readonly dir: string;
  /** the CA certificate (PEM) */
  readonly caFile: string;
  /** its private key (PEM) */
  readonly keyFile: string;
}

export interface IssuedCert {
  /** the leaf certificate (PEM), signed by the CA */
  readonly certFile: string;
  /** its private key (PEM, unencrypted) */
  readonly keyFile: string;
  /** the leaf followed by the CA certificate (for servers that want the chain in one file) */
  readonly chainFile: string;
  /** the names it holds (subjectAltName: DNS for names, IP for addresses) */
  readonly names: readonly string[];
  /** days it is valid from now */
  readonly days: number;
}

export interface IssueOptions {
  /** host names and IP addresses (default localhost, 127.0.0.1); the first is also the CN */
  names?: readonly string[];
  /** validity in days from now (default 825; a small number for expiry tests, e.g. 5) */
  days?: number;
  /** file name stem inside `dir` (default "server"): STEM.pem, STEM.key, STEM-chain.pem */
  stem?: string;
}

/** the names every test server's certificate holds */
export const SERVER_NAMES = ['localhost', '127.0.0.1', 'example.org', 'mail.example.org', 'news.example.org', 'ldap.example.org'] as const;

// P-256 keys: generated in milliseconds (RSA 2048 takes ~100 ms each), accepted by every server here
const KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function openssl(args: readonly string[]): void {
  const r = spawnSync('openssl', args, { encoding: 'utf8', timeout: 30_000 });
  if (r.error || r.status !== 0) {
    const why = r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'openssl is not installed (Debian: apt-get install openssl)' : '';
    throw new Error(`openssl ${args.slice(0, 2).join(' ')} failed: ${why || r.error?.message || `${r.stderr}`.trim() || `exit ${r.status}`}`);
  }
}

/** a new CA in `dir` (created): ca.pem and ca.key, valid 10 years */
export function makeTestCa(dir: string): TestCa {
  mkdirSync(dir, { recursive: true });
  const caFile = join(dir, 'ca.pem'),
    keyFile = join(dir, 'ca.key');
  openssl([
    'req',
    '-x509',
    ...KEY,
    '-days',
    '3650',
    '-keyout',
    keyFile,
    '-out',
    caFile,
    '-subj',
    '/O=mxray tests/CN=mxray test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return { dir, caFile, keyFile };
}

/** a leaf certificate for `names`, signed by `ca`, written into `dir` (created) */
export function issueCert(ca: TestCa, dir: string, opts: IssueOptions = {}): IssuedCert {
  const names = opts.names?.length ? [...opts.names] : ['localhost', '127.0.0.1'];
  const days = opts.days ?? 825;
  if (!(Number.isInteger(days) && days > 0)) throw new Error(`issueCert: days must be a whole number of days > 0, got ${days}`);
  const stem = opts.stem ?? 'server';
  mkdirSync(dir, { recursive: true });
  const certFile = join(dir, `${stem}.pem`),
    keyFile = join(dir, `${stem}.key`),
    chainFile = join(dir, `${stem}-chain.pem`);
  const san = names.map((n) => (isIP(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
  openssl([
    'req',
    '-x509',
    ...KEY,
    '-CA',
    ca.caFile,
    '-CAkey',
    ca.keyFile,
    '-days',
    String(days),
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-subj',
    `/O=mxray tests/CN=${names[0]}`,
    '-addext',
    `subjectAltName=${san}`,
    '-addext',
    'basicConstraints=critical,CA:FALSE',
    '-addext',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    '-addext',
    'extendedKeyUsage=serverAuth,clientAuth',
  ]);
  writeFileSync(chainFile, readFileSync(certFile, 'utf8') + readFileSync(ca.caFile, 'utf8'));
  return { certFile, keyFile, chainFile, names, days };
}

/** the CA in a folder made by makeTestCa() */
export function loadTestCa(dir: string): TestCa {
  const ca = { dir, caFile: join(dir, 'ca.pem'), keyFile: join(dir, 'ca.key') };
  if (!existsSync(ca.caFile) || !existsSync(ca.keyFile)) throw new Error(`${dir}: not a test CA folder (ca.pem and ca.key expected)`);
  return ca;
}

let privateCa: TestCa | undefined;

/**
 * The test run's CA (MXRAY_TEST_CA_DIR, made by scripts/run.mjs), or, in a test process started some
 * other way, a CA of this process's own (removed when it exits). Only the run's CA is trusted by
 * default (NODE_EXTRA_CA_CERTS): see caTrustedByDefault().
 */
export function testCa(env: NodeJS.ProcessEnv = process.env): TestCa {
  const dir = env[caEnv.dir];
  if (dir) return loadTestCa(dir);
  if (!privateCa) {
    const d = mkdtempSync(join(tmpdir(), 'mxray-test-ca-'));
    privateCa = makeTestCa(d);
    process.on('exit', () => rmSync(d, { recursive: true, force: true }));
  }
  return privateCa;
}

/** true when this process trusts testCa() by default (it was started with NODE_EXTRA_CA_CERTS naming
 *  a file that holds the CA's certificate); otherwise clients must pass `ca` themselves */
export function caTrustedByDefault(env: NodeJS.ProcessEnv = process.env): boolean {
  const extra = env[caEnv.nodeExtraCaCerts];
  if (!extra || !existsSync(extra)) return false;
  const ca = readFileSync(testCa(env).caFile, 'utf8').trim();
  return readFileSync(extra, 'utf8').includes(ca);
}

/** TLS options that make a client trust the test CA: {} when it is trusted by default (under
 *  scripts/run.mjs), else { ca } */
export function testCaTrust(env: NodeJS.ProcessEnv = process.env): { ca?: string } {
  return caTrustedByDefault(env) ? {} : { ca: readFileSync(testCa(env).caFile, 'utf8') };
}

/** for the harness: the run's CA in a fresh temp folder, and the environment that makes test processes
 *  trust it (an existing NODE_EXTRA_CA_CERTS is kept: both go into one bundle) */
export function makeRunCa(env: NodeJS.ProcessEnv = process.env): { ca: TestCa; env: Record<string, string>; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'mxray-test-ca-'));
  const ca = makeTestCa(dir);
  let trust = ca.caFile;
  const before = env[caEnv.nodeExtraCaCerts];
  if (before && existsSync(before)) {
    trust = join(dir, 'trust.pem');
    writeFileSync(trust, `${readFileSync(ca.caFile, 'utf8')}\n${readFileSync(before, 'utf8')}`);
  }
  return {
    ca,
    env: { [caEnv.dir]: dir, [caEnv.nodeExtraCaCerts]: trust },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
