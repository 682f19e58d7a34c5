// `mxray serve`: the one long-running process (runtime.md). It reads the config, opens the store once
// (DuckDB lets one process hold its file), listens on the serve section's address (127.0.0.1 by
// default) with /metrics and /api/health, and starts every part whose section the config has. A
// change of the config file (and SIGHUP on Unix, wired by the CLI) reloads it: a part that can take
// the new config does, and a config with mistakes is reported and ignored (the old one stays).
import { probe } from '../capabilities/monitor/engine.js';
import { watch, type FSWatcher } from 'node:fs';
import * as nodePath from 'node:path';
import { loadConfig, type Config } from '../config/config.js';
import { ConfigError } from '../config/errors.js';
import { chooseStore } from '../config/store-choice.js';
import { isLoopback } from '../config/sections/serve.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/types.js';
import type { Prober } from '../capabilities/monitor/types.js';
import { json, listen, type Listener } from './http.js';
import { createMetrics } from './metrics.js';
import { parts as allParts, type Part, type RunningPart } from './parts.js';
import { addApiRoutes } from '../dashboard/api.js';
import { addPageRoutes } from '../dashboard/page.js';
import { configuredSealKey } from '../cli/common.js';

export interface ServeOptions {
  /** the config file (--config; else MXRAY_CONFIG, else ./mxray.yaml) */
  readonly config?: string;
  readonly db?: string;
  readonly store?: string;
  /** override the serve section's listen port / address (0: any free port) */
  readonly port?: number;
  readonly listen?: string;
  /** the probe of service monitoring (default: the conversation engine, else a connect-only probe) */
  readonly prober?: Prober;
  readonly parts?: readonly Part[];
  /** log lines (default: stderr) */
  readonly log?: (line: string) => void;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** watch the config file for changes (default true) */
  readonly watch?: boolean;
}

export interface Serving {
  /** the listener's base URL, like http://127.0.0.1:8080 */
  readonly url: string;
  /** the names of the parts running */
  readonly running: readonly string[];
  /** read the config again and hand it to the parts; resolves false when the new one has mistakes */
  reload(): Promise<boolean>;
  stop(): Promise<void>;
}

/** the conversation engine's probe when it is built in, else the connect-only one */
/** the conversation engine of service monitoring (capabilities/monitor/engine.ts) */
export async function defaultProber(): Promise<Prober> {
  return (target, signal) => probe(target, signal);
}

export async function startServe(o: ServeOptions = {}): Promise<Serving> {
  const env = o.env ?? process.env;
  const say = o.log ?? ((line: string) => process.stderr.write(`mxray serve: ${line}\n`));
  let config: Config = await loadConfig(o.config, { env });
  if (!config.file)
    throw new ConfigError([
      { file: o.config ?? 'mxray.yaml', path: '', message: 'mxray serve needs a config file: give --config FILE (see `mxray config example`)' },
    ]);
  const serveSection = config.section('serve');
  const parts = (o.parts ?? allParts).filter((p) => config.present.includes(p.section as never));
  // every enabled part's section is checked before anything starts
  for (const p of parts) config.section(p.section as never);
  const chosen = chooseStore({ ...(o.db !== undefined ? { db: o.db } : {}), ...(o.store !== undefined ? { store: o.store } : {}) }, env, config);
  const prober = o.prober ?? (await defaultProber());
  const abort = new AbortController();
  const metrics = createMetrics();
  let store: Store | undefined;
  let listener: Listener | undefined;
  const running: { part: Part; run: RunningPart }[] = [];
  const stopAll = async () => {
    abort.abort();
    for (const { part, run } of running.splice(0).reverse()) {
      try {
        await run.stop();
      } catch (e) {
        say(`${part.name}: stopping failed: ${(e as Error).message}`);
      }
    }
    await listener?.close();
    await store?.close();
  };
  const host = o.listen ?? serveSection?.listen.host ?? '127.0.0.1';
  // the serve section refuses an address beyond this machine without auth; --listen must not get round it
  if (!isLoopback(host) && !serveSection?.auth)
    throw new ConfigError([
      {
        file: config.file.shown,
        path: 'serve',
        message: `${o.listen !== undefined ? `--listen ${host}` : `listening on ${host}`} (beyond this machine) needs auth: give serve.auth.tokenFile or serve.auth.user with serve.auth.passwordFile, or listen on 127.0.0.1`,
      },
    ]);
  try {
    listener = await listen(
      {
        host,
        port: o.port ?? serveSection?.listen.port ?? 8080,
        ...(serveSection?.auth ? { auth: serveSection.auth } : {}),
        ...(serveSection?.tls ? { tls: serveSection.tls } : {}),
        open: ['/api/health'],
      },
      say,
    );
    // until the routes are there, the API answers 503 (a browser or a script retries), not 404
    listener.starting('store opening');
    store = await openStore({ db: chosen.db, store: chosen.store, sealKey: configuredSealKey(config) });
    const l = listener;
    l.starting('starting');
    l.get('/metrics', async (_req, res) => {
      res.writeHead(200, { 'content-type': metrics.contentType }).end(await metrics.metrics());
    });
    l.get('/api/health', (_req, res) => json(res, 200, { status: 'ok', parts: running.map((r) => r.part.name) }));
    // the dashboard: the report API (the CLI's report functions) and its pages
    addApiRoutes(l, store);
    addPageRoutes(l);
    for (const part of parts) {
      const log = (line: string) => say(`${part.name}: ${line}`);
      const run = await part.start({
        config,
        store,
        log,
        signal: abort.signal,
        routes: l,
        metrics,
        prober,
        dbPath: chosen.store === undefined ? nodePath.resolve(chosen.db ?? 'mxray.duckdb') : undefined,
      });
      running.push({ part, run });
    }
    l.starting(undefined);
  } catch (e) {
    await stopAll();
    throw e;
  }
  say(`listening on ${listener.url}; running ${running.map((r) => r.part.name).join(', ') || 'no parts (the config enables none)'}`);

  const reload = async (): Promise<boolean> => {
    let next: Config;
    try {
      next = await loadConfig(config.file!.path, { env });
      for (const r of running) next.section(r.part.section as never);
    } catch (e) {
      say(`the changed config has mistakes; still running on the previous one:\n${(e as Error).message}`);
      return false;
    }
    let ok = true;
    for (const { part, run } of running) {
      try {
        await run.reload?.(next);
      } catch (e) {
        ok = false;
        say(`${part.name}: the changed config was not taken: ${(e as Error).message}`);
      }
    }
    config = next;
    return ok;
  };

  // a change of the file reloads (editors write in bursts: a short pause first); watching the
  // folder, so an editor that replaces the file is seen too
  let watcher: FSWatcher | undefined;
  let pendingReload: NodeJS.Timeout | undefined;
  if (o.watch ?? true) {
    const file = config.file.path;
    try {
      watcher = watch(nodePath.dirname(file), (_event, name) => {
        if (name !== null && name !== nodePath.basename(file)) return;
        clearTimeout(pendingReload);
        pendingReload = setTimeout(() => void reload(), 300);
      });
      watcher.on('error', (e) => say(`cannot watch ${file}: ${e.message}`));
    } catch (e) {
      say(`cannot watch ${file} (${(e as Error).message}): reload with SIGHUP or a restart`);
    }
  }

  let stopping: Promise<void> | undefined;
  return {
    url: listener.url,
    running: running.map((r) => r.part.name),
    reload,
    stop() {
      stopping ??= (async () => {
        watcher?.close();
        clearTimeout(pendingReload);
        await stopAll();
        say('stopped');
      })();
      return stopping;
    },
  };
}
