// mxray report --html FILE [--from WHEN] [--to WHEN] [--no-verify] [--db PATH | --store URL]: the
// dashboard's pages as one self-contained HTML file (its script, style and data inline; GoAccess's
// single-file report is the model), to mail to a manager. Every request the pages make when they
// open (dashboard/requests.ts) is answered by the API's own function, so the file shows what
// `mxray serve` shows for that period and what the CLI prints; and the store is verified as
// `mxray verify` does (the config's integrity key and anchor), its result shown on the events page;
// the health page draws the matrix of the probes stored in the period.
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { rangeOrder, rangeParams } from '../capabilities/params.js';
import { reports } from '../capabilities/registry.js';
import { defineParams } from '../capabilities/report.js';
import { loadConfig } from '../config/config.js';
import { answer } from '../dashboard/api.js';
import type { ReportVerify } from '../dashboard/embedded-types.js';
import { shell, type Embedded } from '../dashboard/page.js';
import { historyMatrix } from '../dashboard/matrix.js';
import { allRequests, pageRequests, requestKey } from '../dashboard/requests.js';
import type { History } from '../capabilities/monitor/history.js';
import { sealKey } from '../store/integrity/seal.js';
import type { Store } from '../store/types.js';
import { configuredSealKey, storeOptions, UsageError, withStore, type StoreOpts } from './common.js';
import { inputOf, optionOf, paramsOf } from './reports.js';
import { verifyStore } from './verify.js';

const htmlParams = defineParams({ params: rangeParams, checks: [rangeOrder] });

interface HtmlOpts extends StoreOpts {
  html: string;
  verify: boolean;
}

const minute = (d: Date) => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/** `mxray verify` of the store (never moving the anchor): its result, or why it could not tell */
async function verifyForReport(store: Store, configFile: string | undefined): Promise<ReportVerify> {
  const config = await loadConfig(configFile);
  const section = config.section('integrity');
  const at = minute(new Date());
  try {
    const result = await verifyStore(store, { anchorPath: section?.anchor, updateAnchor: false, key: sealKey() ?? configuredSealKey(config) });
    return { at, result };
  } catch (e) {
    return { at, error: (e as Error).message };
  }
}

export function registerReportHtml(program: Command): void {
  const cmd = program
    .command('report')
    .description(
      "the dashboard's pages (health from the stored probes, tracking, ActiveSync, presence, calendar, events and rules, the store's verify) as one HTML file that opens offline",
    )
    .requiredOption('--html <file>', 'write the report to this file')
    .option('--no-verify', 'do not verify the store for the report (the events page then says it was not verified)');
  storeOptions(cmd);
  for (const p of htmlParams.params) cmd.addOption(optionOf(p));
  cmd.action(async (o: HtmlOpts, c: Command) => {
    paramsOf(c, htmlParams);
    // the pages send the range as given (a date stays a date: presence reads days)
    const input = inputOf(c, htmlParams);
    const range = { ...(input.from ? { from: input.from } : {}), ...(input.to ? { to: input.to } : {}) };
    const embedded = await withStore(o, async (store): Promise<Embedded> => {
      const answers: Record<string, unknown> = {};
      for (const r of allRequests(range)) {
        const report = reports.get(r.id);
        if (!report) throw new Error(`the page asks for ${r.id}, which is no report`);
        const a = await answer(store, report, r.params);
        if (a.status !== 200) throw new UsageError(`${r.id}: ${(JSON.parse(a.body) as { error: string }).error}`);
        answers[requestKey(r)] = JSON.parse(a.body);
      }
      const verify = o.verify ? await verifyForReport(store, o.config) : undefined;
      const history = answers[requestKey(pageRequests.health(range).history)] as History;
      return {
        generated: minute(new Date()),
        store: store.location,
        ...range,
        answers,
        matrix: historyMatrix(history.instances),
        ...(verify ? { verify } : {}),
      };
    });
    writeFileSync(o.html, shell({ inline: embedded }));
    const verified = !embedded.verify ? 'not verified' : 'error' in embedded.verify ? 'verify failed' : embedded.verify.result.intact ? 'intact' : 'TAMPERED';
    process.stderr.write(`wrote ${o.html}: ${Object.keys(embedded.answers).length} reports; store ${verified}\n`);
  });
}
