// store: where the data lives, the same meaning as --store URL / --db PATH.
import * as z from 'zod';
import { defineSection } from '../section.js';
import { filePath, resolveFromConfig } from '../refs.js';
import { got, text } from '../fields.js';
import { parseStoreUrl, StoreUrlError } from '../../store/clickhouse/url.js';

/** the same URLs as --store: clickhouse://… (checked by the store's own parser) or duckdb:PATH */
function storeUrl() {
  return text('a clickhouse:// or duckdb: URL').superRefine((v, ctx) => {
    const shown = v.replace(/\/\/[^@/?#]*@/, '//');
    if (/^clickhouse:\/\//i.test(v)) {
      if (/\/\/[^@/?#]*:[^@/?#]*@/.test(v)) {
        ctx.addIssue({
          code: 'custom',
          message: 'the URL holds a password: keep it out of the file; set MXRAY_CLICKHOUSE_USER and MXRAY_CLICKHOUSE_PASSWORD_FILE in the environment instead',
        });
        return;
      }
      try {
        // no environment: only the URL is checked here, credentials are read when the store opens
        parseStoreUrl(v, {});
      } catch (e) {
        if (!(e instanceof StoreUrlError)) throw e;
        ctx.addIssue({ code: 'custom', message: e.message.replace(/^--store: /, '') });
      }
    } else if (!/^(duckdb|file):./i.test(v)) {
      ctx.addIssue({ code: 'custom', message: `expected clickhouse://host:8123/database or duckdb:PATH, got ${got(shown)}` });
    }
  });
}

export const storeSection = defineSection({
  key: 'store',
  schema: z
    .strictObject({
      url: storeUrl().optional(),
      db: filePath('the path of a DuckDB file').optional(),
    })
    .superRefine((o, ctx) => {
      if (o.url !== undefined && o.db !== undefined) ctx.addIssue({ code: 'custom', message: 'give url or db, not both', path: ['db'] });
      if (o.url === undefined && o.db === undefined) ctx.addIssue({ code: 'custom', message: 'give url: (clickhouse://… or duckdb:PATH) or db: PATH' });
    })
    // url: duckdb:PATH is db: PATH, so that its path too is relative to this file, like every other
    .transform((o) => {
      const duckdb = o.url === undefined ? undefined : /^(duckdb|file):(\/\/)?(.*)$/is.exec(o.url)?.[3];
      return duckdb === undefined ? o : { db: resolveFromConfig(duckdb) };
    }),
  doc: `# Where the data lives, as --store URL / --db PATH. The command line (--store, --db) and the
# MXRAY_STORE variable win over this section; without any of them: ./mxray.duckdb. Give url or db.
store:
  db: /var/lib/mxray/mxray.duckdb                 # a DuckDB file (url: duckdb:PATH says the same)
  # url: clickhouse://ch1.corp.example:8123/mxray?cluster=mx
  #   a ClickHouse server or cluster instead; its account comes from MXRAY_CLICKHOUSE_USER and
  #   MXRAY_CLICKHOUSE_PASSWORD_FILE in the environment, never from this file
`,
});
