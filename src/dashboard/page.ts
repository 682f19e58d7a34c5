// The dashboard's pages: one HTML shell and the bundle esbuild made of web/ at build time
// (dist/dashboard/web/app.js and app.css, scripts/run.mjs). Served by `mxray serve` at / and
// /assets/…, gzipped for browsers that accept it, or inlined with the data into one file by
// `mxray report --html`. Nothing is fetched from elsewhere: no CDN, no web fonts; the served page's
// Content-Security-Policy says so to the browser too.
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { RouteTable } from '../serve/http.js';
import type { Embedded } from './embedded-types.js';

export type { Embedded } from './embedded-types.js';

function asset(name: 'app.js' | 'app.css'): string {
  const file = fileURLToPath(new URL(`./web/${name}`, import.meta.url));
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`the dashboard's ${name} is not built (${file}): run \`npm run build\` (${(e as Error).message})`);
  }
}

/** the one-file report's loader: the bundle and the data are inline gzipped (base64; the file is a
 *  third of its size unpacked: ~1 MB to ~350 KB for the demo's store), unpacked by the browser's own
 *  DecompressionStream (Chrome and Edge 80, Firefox 113, Safari 16.4), the data into #mxray-data
 *  before the bundle runs and reads it. A browser without it, or a broken file, says so in the page. */
const unpacker = `(async () => {
  const app = document.getElementById('app');
  try {
    if (typeof DecompressionStream === 'undefined') throw new Error('this browser cannot unpack it (it needs DecompressionStream: Chrome or Edge 80, Firefox 113, Safari 16.4 or later)');
    const unpack = (id) => {
      const bytes = Uint8Array.from(atob(document.getElementById(id).textContent), (c) => c.charCodeAt(0));
      return new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'))).text();
    };
    const [data, code] = await Promise.all([unpack('mxray-data-gz'), unpack('mxray-app-gz')]);
    const d = document.createElement('script');
    d.id = 'mxray-data';
    d.type = 'application/json';
    d.textContent = data;
    document.body.append(d);
    const s = document.createElement('script');
    s.textContent = code;
    document.body.append(s);
  } catch (e) {
    app.textContent = 'The mxray report could not be opened: ' + e.message;
  }
})();`;

const packed = (text: string) => gzipSync(Buffer.from(text, 'utf8'), { level: 9 }).toString('base64');

export function shell(o: { inline?: Embedded } = {}): string {
  const head = [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<title>mxray</title>',
    // no favicon request: the page asks for nothing it does not need
    '<link rel="icon" href="data:,">',
    o.inline ? `<style>${asset('app.css')}</style>` : '<link rel="stylesheet" href="/assets/app.css">',
    '</head>',
    '<body>',
    '<div id="app"><noscript>The mxray dashboard needs JavaScript.</noscript></div>',
  ];
  // base64 has no "<": nothing in the packed elements can end them
  const tail = o.inline
    ? [
        `<script id="mxray-data-gz" type="application/gzip-base64">${packed(JSON.stringify(o.inline))}</script>`,
        `<script id="mxray-app-gz" type="application/gzip-base64">${packed(asset('app.js'))}</script>`,
        `<script>${unpacker}</script>`,
      ]
    : ['<script src="/assets/app.js"></script>'];
  return [...head, ...tail, '</body>', '</html>', ''].join('\n');
}

const policy =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'";

interface Asset {
  readonly type: string;
  readonly body: Buffer;
  /** the body gzipped once (the bundle: ~659 KB, ~222 KB gzipped), sent to browsers that accept it */
  readonly gzipped: Buffer;
}

function prepared(type: string, text: string): Asset {
  const body = Buffer.from(text, 'utf8');
  return { type, body, gzipped: gzipSync(body, { level: 9 }) };
}

/** whether the request's Accept-Encoding allows gzip (not refused with q=0) */
export function acceptsGzip(req: IncomingMessage): boolean {
  const header = req.headers['accept-encoding'];
  const value = Array.isArray(header) ? header.join(',') : (header ?? '');
  return value.split(',').some((part) => {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (name !== 'gzip' && name !== '*') return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/** GET / and the two assets (read and gzipped once, at the first request) */
export function addPageRoutes(routes: RouteTable): void {
  let cached: Record<'html' | 'js' | 'css', Asset> | undefined;
  const files = () =>
    (cached ??= {
      html: prepared('text/html; charset=utf-8', shell()),
      js: prepared('text/javascript; charset=utf-8', asset('app.js')),
      css: prepared('text/css; charset=utf-8', asset('app.css')),
    });
  const send = (req: IncomingMessage, res: ServerResponse, a: Asset) => {
    const gzip = acceptsGzip(req);
    const body = gzip ? a.gzipped : a.body;
    res.writeHead(200, {
      'content-type': a.type,
      'content-security-policy': policy,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-cache',
      vary: 'accept-encoding',
      'content-length': body.length,
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  routes.get('/', (req, res) => send(req, res, files().html));
  routes.get('/assets/app.js', (req, res) => send(req, res, files().js));
  routes.get('/assets/app.css', (req, res) => send(req, res, files().css));
}
