// mxray serve --config FILE [--db PATH | --store URL] [--port N] [--listen ADDR]: the long-running
// process (src/serve/serve.ts). Runs until SIGINT or SIGTERM (Windows: Ctrl+C), then stops its parts
// and closes the store; SIGHUP (Unix) reloads the config, as a change of the file does.
import type { Command } from 'commander';
import { UsageError, positiveInt } from './common.js';

interface ServeOpts {
  config?: string;
  db?: string;
  store?: string;
  port?: number;
  listen?: string;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the long-running parts the config enables (the monitor: schedule, alerts, repair, history, /metrics) until stopped')
    .option('--config <file>', 'config file (default: MXRAY_CONFIG, else ./mxray.yaml)')
    .option('--db <path>', "DuckDB database file (default: the config's store section, else ./mxray.duckdb); serve holds it while it runs")
    .option('--store <url>', 'store URL instead of --db: clickhouse://host:8123/db (env MXRAY_STORE)')
    .option('--port <n>', "listen on this port instead of the serve section's (0: any free port)", (v) => (v === '0' ? 0 : positiveInt('--port')(v)))
    .option('--listen <address>', "listen on this address instead of the serve section's (default 127.0.0.1)")
    .action(async (o: ServeOpts) => {
      if (o.db !== undefined && o.store !== undefined) throw new UsageError('give --db or --store, not both');
      if (o.port !== undefined && o.port > 65535) throw new UsageError(`--port: expected a port number from 0 to 65535, got ${o.port}`);
      const { startServe } = await import('../serve/serve.js');
      const serving = await startServe(o);
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          process.off('SIGHUP', hup);
          void serving.stop().then(resolve);
        };
        const hup = () => void serving.reload();
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
        if (process.platform !== 'win32') process.on('SIGHUP', hup);
      });
    });
}
