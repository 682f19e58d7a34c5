// The eas commands that are not store reports: `eas decode` (no store) and `eas export` (writes
// Export-ActiveSyncLog's six files). The reports (users, devices, …) come from their specs in
// capabilities/activesync/report-specs.ts through cli/reports.ts.
import type { Command } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeJson, describeText } from '../capabilities/activesync/describe.js';
import { easQuery, exportCsv, exportNotes, exportParams } from '../capabilities/activesync/report-specs.js';
import { coverageLine, easExport, logsLine } from '../capabilities/activesync/reports.js';
import { outputFormat } from '../capabilities/params.js';
import { UsageError, withStore, write } from './common.js';
import { paramsOf, storeOf, withParams, type HandWritten } from './reports.js';

function addDecode(e: Command): void {
  e.command('decode')
    .description('translate an ActiveSync Log= value (or a whole cs-uri-query with Log=) element by element')
    .argument('<log>', "the Log= value, e.g. 'V120_Ty:Em_Fid:37_Fc1_Filt2_St:S_Sk:1805_Srv:1a0c0d0s0e0r_Pk2260121383_S1_'")
    .option('--json', 'an array of {key, value, name, meaning}')
    .action((log: string, o: { json?: boolean }) => {
      // a whole query string: take its Log= value (still URL-escaped, as the decoder wants it)
      const m = /(?:^|&)Log=([^&]*)/.exec(log);
      const value = m ? m[1]! : log;
      write(o.json ? JSON.stringify(describeJson(value), null, 2) + '\n' : describeText(value));
    });
}

function addExport(e: Command): void {
  withParams(
    e.command('export').description("Export-ActiveSyncLog's six CSV files (Users, Servers, Hourly, StatusCodes, PolicyCompliance, UserAgents)"),
    exportParams,
  )
    .addHelpText('after', exportNotes)
    .action(async (_opts: unknown, c: Command) => {
      const p = paramsOf(c, exportParams);
      const format = outputFormat(p);
      if (format === 'csv') throw new UsageError('--format csv: eas export always writes CSV files; use --format table or --json for its summary');
      const r = await withStore(storeOf(c), (s) => easExport(s, easQuery(p)));
      try {
        mkdirSync(p.out, { recursive: true });
        for (const f of r.files) writeFileSync(join(p.out, f.name), exportCsv(f));
      } catch (err) {
        throw new UsageError(`--out: cannot write to ${p.out}: ${(err as Error).message}`);
      }
      if (format === 'json') {
        write(JSON.stringify({ out: p.out, files: r.files.map((f) => ({ name: f.name, rows: f.rows.length })), logs: r.logs }, null, 2) + '\n');
        process.stderr.write(`${logsLine(r.logs)}${coverageLine(r.coverage)}`);
        return;
      }
      const files = r.files.map((f) => `  ${join(p.out, f.name)}  ${f.rows.length.toLocaleString('en-US')} row(s)`).join('\n');
      write(
        `${logsLine(r.logs)}${coverageLine(r.coverage)}\nwrote Export-ActiveSyncLog's files:\n${files}\n` +
          'in these files "Sent" is the server\'s side (to the device), as in the cmdlet: see `mxray eas export --help`\n',
      );
    });
}

/** decode before the reports, export after them, as `mxray eas --help` has always listed them */
export const easHandWritten: HandWritten = { before: [addDecode], after: [addExport] };
