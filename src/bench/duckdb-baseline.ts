// Baselines of the benchmark, DuckDB reading the CSV logs itself (the 5 header lines skipped,
// columns by position). Prints one JSON line.
//   node duckdb-baseline.js FILE…                 read_csv + the same per-user sent/received counts
//   node duckdb-baseline.js --store DB FILE…      read_csv + INSERT of the columns mxray stores into a
//                                                 table of a database file: DuckDB's own floor for
//                                                 storing the events (no checks, no line numbers)
import { rmSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';

const args = process.argv.slice(2);
const storeDb = args[0] === '--store' ? args[1]! : undefined;
const files = storeDb ? args.slice(2) : args;
const fields =
  'date_time,client_ip,client_hostname,server_ip,server_hostname,source_context,connector_id,source,event_id,internal_message_id,message_id,network_message_id,recipient_address,recipient_status,total_bytes,recipient_count,related_recipient_address,reference,message_subject,sender_address,return_path,message_info,directionality,tenant_id,original_client_ip,original_server_ip,custom_data,transport_traffic_type,log_id,schema_version'.split(
    ',',
  );
const cols = fields.map((f) => `'${f}': 'VARCHAR'`).join(', ');
const list = '[' + files.map((f) => `'${f.replace(/'/g, "''")}'`).join(', ') + ']';
const csv = `read_csv(${list}, delim = ',', quote = '"', escape = '"', header = false, skip = 5, auto_detect = false, columns = {${cols}})`;
const t = performance.now();
let rows: number;
let extra: Record<string, number> = {};
if (storeDb) {
  rmSync(storeDb, { force: true });
  rmSync(storeDb + '.wal', { force: true });
  const inst = await DuckDBInstance.create(storeDb);
  const c = await inst.connect();
  await c.run(`CREATE TABLE events (ts TIMESTAMP, server VARCHAR, event VARCHAR, source VARCHAR, role UTINYINT, message_id VARCHAR, internal_id VARCHAR,
    sender VARCHAR, recipients VARCHAR, recipient_count INTEGER, bytes BIGINT, directionality VARCHAR, subject VARCHAR, client_ip VARCHAR)`);
  const r = await c.runAndReadAll(`INSERT INTO events SELECT strptime(date_time, '%Y-%m-%dT%H:%M:%S.%gZ'), server_hostname, event_id, source,
    CASE WHEN event_id = 'RECEIVE' AND source = 'STOREDRIVER' THEN 1 WHEN event_id = 'DELIVER' AND source = 'STOREDRIVER' THEN 2 ELSE 0 END,
    message_id, internal_message_id, lower(sender_address), lower(recipient_address), CAST(recipient_count AS INTEGER), CAST(total_bytes AS BIGINT),
    directionality, message_subject, client_ip FROM ${csv}`);
  rows = Number(r.getRows()[0]![0]);
  await c.run('CHECKPOINT');
  c.closeSync();
  inst.closeSync();
  rmSync(storeDb, { force: true });
} else {
  const inst = await DuckDBInstance.create(':memory:');
  const c = await inst.connect();
  const r = await c.runAndReadAll(`
    WITH ev AS (SELECT * FROM ${csv}),
    sent AS (SELECT lower(sender_address) u, count(DISTINCT message_id) n FROM ev WHERE event_id = 'RECEIVE' AND source = 'STOREDRIVER' GROUP BY 1),
    recv AS (SELECT u, count(*) n FROM (SELECT DISTINCT lower(unnest(string_split(recipient_address, ';'))) u, message_id FROM ev WHERE event_id = 'DELIVER' AND source = 'STOREDRIVER') GROUP BY 1),
    total AS (SELECT count(*) AS rows FROM ev)
    SELECT (SELECT count(*) FROM sent) + (SELECT count(*) FROM recv) AS users, (SELECT rows FROM total) AS rows`);
  const [users, n] = r.getRows()[0]!;
  rows = Number(n);
  extra = { users: Number(users) };
}
const seconds = (performance.now() - t) / 1000;
process.stdout.write(JSON.stringify({ seconds, maxRssMB: process.resourceUsage().maxRSS / 1024, rows, extra }) + '\n');
