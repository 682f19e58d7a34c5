// The dashboard's pages: one HTML shell and the bundle esbuild made of web/ at build time
// (dist/dashboard/web/app.js and app.css, scripts/run.mjs). Served by `mxray serve` at / and
// /assets/…, or inlined with the data into one file by `mxray report --html`. Nothing is fetched
// from elsewhere: no CDN, no web fonts; the served page's Content-Security-Policy says so to the
// browser too.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
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

/** JSON safe inside a <script> element */
function scriptJson(v: unknown): string {
  return JSON.stringify(v)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

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
  const tail = o.inline
    ? [
        `<script id="mxray-data" type="application/json">${scriptJson(o.inline)}</script>`,
        `<script>${asset('app.js').replace(/<\/script/gi, '<\\/script')}</script>`,
      ]
    : ['<script src="/assets/app.js"></script>'];
  return [...head, ...tail, '</body>', '</html>', ''].join('\n');
}

const policy =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'";

/** GET / and the two assets (read once, at the first request) */
export function addPageRoutes(routes: RouteTable): void {
  let cached: { html: string; js: string; css: string } | undefined;
  const files = () => (cached ??= { html: shell(), js: asset('app.js'), css: asset('app.css') });
  const headers = (type: string) => ({
    'content-type': type,
    'content-security-policy': policy,
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-cache',
  });
  routes.get('/', (_req, res) => void res.writeHead(200, headers('text/html; charset=utf-8')).end(files().html));
  routes.get('/assets/app.js', (_req, res) => void res.writeHead(200, headers('text/javascript; charset=utf-8')).end(files().js));
  routes.get('/assets/app.css', (_req, res) => void res.writeHead(200, headers('text/css; charset=utf-8')).end(files().css));
}
