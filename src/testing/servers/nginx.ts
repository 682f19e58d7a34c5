// nginx for monitoring tests: HTTP and HTTPS on 127.0.0.1 serving a page with a known body
// (NGINX_PAGE_BODY at /, "ok\n" at /health, a 301 at /redirect), and a third port (expiringPort) with
// HTTPS under a certificate that expires in NGINX_EXPIRING_DAYS days, for certificate-expiry checks.
// Certificates from the test CA.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { issueCert, SERVER_NAMES, type TestCa, testCa } from '../test-ca.js';
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

export const nginxEnv = 'MXRAY_TEST_NGINX';
export const nginxNeeds: Needs = { server: 'nginx', packages: ['nginx-light'], programs: ['nginx'] };
export const nginxSkipReason = (): string | false => skipReasonFor(nginxNeeds);

/** the body of / */
export const NGINX_PAGE_BODY = '<!doctype html><html><head><title>mxray test page</title></head><body><h1 id="t">Hello from nginx</h1></body></html>\n';
/** days the expiringPort's certificate is valid from the server's start */
export const NGINX_EXPIRING_DAYS = 5;

export interface NginxInfo {
  readonly host: string;
  readonly httpPort: number;
  readonly httpsPort: number;
  /** HTTPS with a certificate expiring in NGINX_EXPIRING_DAYS days */
  readonly expiringPort: number;
  /** its certificate file (PEM), to compare notAfter with */
  readonly expiringCertFile: string;
  readonly dir: string;
  readonly caFile: string;
  readonly pid: number;
}

export type NginxServer = NginxInfo & ServerHandle;

/** an nginx of the caller's own on free loopback ports */
export async function startNginx(opts: { ca?: TestCa; expiringDays?: number } = {}): Promise<NginxServer> {
  ensureInstalled(nginxNeeds);
  const ca = opts.ca ?? testCa();
  const dir = makeWorkdir('nginx');
  try {
    const cert = issueCert(ca, join(dir, 'tls'), { names: [...SERVER_NAMES] });
    const expiring = issueCert(ca, join(dir, 'tls'), { names: [...SERVER_NAMES], days: opts.expiringDays ?? NGINX_EXPIRING_DAYS, stem: 'expiring' });
    for (const sub of ['html', 'tmp', 'logs']) mkdirSync(join(dir, sub), { mode: 0o755 });
    writeFileSync(join(dir, 'html', 'index.html'), NGINX_PAGE_BODY);
    return await withFreePorts(3, async ([httpPort, httpsPort, expiringPort]) => {
      const conf = join(dir, 'nginx.conf');
      writeFileSync(
        conf,
        `# throwaway config written by src/testing/servers/nginx.ts; nothing from /etc/nginx is included
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log info;
events { worker_connections 64; }
http {
  include /etc/nginx/mime.types;
  access_log ${dir}/logs/access.log;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  server {
    listen ${HOST}:${httpPort};
    listen ${HOST}:${httpsPort} ssl http2;
    server_name localhost;
    ssl_certificate ${cert.certFile};
    ssl_certificate_key ${cert.keyFile};
    root ${dir}/html;
    location = /health { default_type text/plain; return 200 "ok\\n"; }
    location = /redirect { return 301 https://localhost:${httpsPort}/; }
  }
  server {
    listen ${HOST}:${expiringPort} ssl;
    server_name localhost;
    ssl_certificate ${expiring.certFile};
    ssl_certificate_key ${expiring.keyFile};
    root ${dir}/html;
  }
}
`,
      );
      const log = join(dir, 'nginx.stdout');
      const d: Daemon = spawnDaemon('nginx', 'nginx', ['-p', dir, '-e', join(dir, 'logs', 'error.log'), '-c', conf, '-g', 'daemon off;'], log);
      try {
        await waitReady('nginx', [{ port: httpPort! }, { port: httpsPort! }, { port: expiringPort! }], [d], [log, join(dir, 'logs', 'error.log')]);
      } catch (err) {
        await d.stop();
        throw err;
      }
      let stopping: Promise<void> | undefined;
      return {
        host: HOST,
        httpPort: httpPort!,
        httpsPort: httpsPort!,
        expiringPort: expiringPort!,
        expiringCertFile: expiring.certFile,
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

/** the test run's nginx (MXRAY_TEST_NGINX), or one of this process's own started on first use */
export const sharedNginx = sharedGetter<NginxInfo, NginxServer>(
  nginxEnv,
  () => startNginx(),
  (info) => ({ ...info, shared: true, stop: async () => {} }),
);

export const nginxShared: SharedServer = {
  name: 'nginx',
  envName: nginxEnv,
  uses: /\bsharedNginx\(/,
  skipReason: nginxSkipReason,
  async start(ca) {
    const s = await startNginx({ ca });
    return { env: { [nginxEnv]: JSON.stringify(infoOf(s)) }, label: `nginx on ${s.httpPort}/${s.httpsPort}/${s.expiringPort}`, stop: s.stop };
  },
};
