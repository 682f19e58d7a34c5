// serve's HTTP listener: loopback by default (serve section), with a token or basic login when
// configured, HTTPS when given a certificate. Routes are a small table that parts add to; /metrics
// and /api/health are serve's own.
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { readFileSync } from 'node:fs';
import { timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';

export type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;

export interface RouteTable {
  /** GET `path` (exact) */
  get(path: string, handler: Handler): void;
}

export interface ListenOptions {
  readonly host: string;
  readonly port: number;
  readonly auth?: { readonly token?: { reveal(): string }; readonly user?: string; readonly password?: { reveal(): string } };
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
  /** paths served without a login (the health check of a load balancer) */
  readonly open?: readonly string[];
}

export interface Listener extends RouteTable {
  readonly url: string;
  /** while serve starts (the store opening, the parts starting): a path with no route yet gets 503
   *  with this reason and Retry-After, not 404; undefined when started */
  starting(reason: string | undefined): void;
  close(): Promise<void>;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function authorized(req: IncomingMessage, auth: ListenOptions['auth']): boolean {
  if (!auth) return true;
  const h = req.headers.authorization ?? '';
  if (auth.token) return same(h, `Bearer ${auth.token.reveal()}`);
  if (auth.user !== undefined && auth.password) return same(h, `Basic ${Buffer.from(`${auth.user}:${auth.password.reveal()}`).toString('base64')}`);
  return false;
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(`${JSON.stringify(body, null, 2)}\n`);
}

export async function listen(o: ListenOptions, log: (line: string) => void): Promise<Listener> {
  const routes = new Map<string, Handler>();
  let startingReason: string | undefined;
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://serve');
    const h = routes.get(url.pathname);
    if (!h && startingReason !== undefined) {
      res.setHeader('retry-after', '1');
      return json(res, 503, { error: startingReason });
    }
    if (!h) return json(res, 404, { error: `no such path: ${url.pathname}`, paths: [...routes.keys()].sort() });
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: 'only GET' });
    if (!o.open?.includes(url.pathname) && !authorized(req, o.auth)) {
      res.setHeader('www-authenticate', o.auth?.token ? 'Bearer' : 'Basic realm="mxray"');
      return json(res, 401, { error: 'login required' });
    }
    Promise.resolve(h(req, res, url)).catch((e: unknown) => {
      log(`GET ${url.pathname} failed: ${(e as Error).message}`);
      if (!res.headersSent) json(res, 500, { error: (e as Error).message });
      else res.destroy();
    });
  };
  const server: Server = o.tls ? createHttps({ cert: readFileSync(o.tls.certFile), key: readFileSync(o.tls.keyFile) }, handle) : createHttp(handle);
  // a client that says nothing is let go; keep-alive connections do not hold stop() up
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return {
    url: `${o.tls ? 'https' : 'http'}://${host}:${a.port}`,
    get(path, handler) {
      routes.set(path, handler);
    },
    starting(reason) {
      startingReason = reason;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
