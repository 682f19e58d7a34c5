// Baseline of the benchmark: DuckDB reads the CSV logs itself (the 5 header lines skipped, columns by
// position) and computes the same per-user sent/received counts. Prints one JSON line.
import { DuckDBInstance } from '@duckdb/node-api';

const files = process.argv.slice(2);
const fields = 'date_time,client_ip,client_hostname,server_ip,server_hostname,source_context,connector_id,source,event_id,internal_message_id,message_id,network_message_id,recipient_address,recipient_status,total_bytes,recipient_count,related_recipient_address,reference,message_subject,sender_address,return_path,message_info,directionality,tenant_id,original_client_ip,original_server_ip,custom_data,transport_traffic_type,log_id,schema_version'.split(',');
const cols = fields.map((f) => `'${f}': 'VARCHAR'`).join(', ');
const list = '[' + files.map((f) => `'${f.replace(/'/g, "''")}'`).join(', ') + ']';
const t = performance.now();
const inst = await DuckDBInstance.create(':memory:');
const c = await inst.connect();
const r = await c.runAndReadAll(`
  WITH ev AS (SELECT * FROM read_csv(${list}, delim = ',', quote = '"', escape = '"', header = false, skip = 5, auto_detect = false, columns = {${cols}})),
  sent AS (SELECT lower(sender_address) u, count(DISTINCT message_id) n FROM ev WHERE event_id = 'RECEIVE' AND source = 'STOREDRIVER' GROUP BY 1),
  recv AS (SELECT u, count(*) n FROM (SELECT DISTINCT lower(unnest(string_split(recipient_address, ';'))) u, message_id FROM ev WHERE event_id = 'DELIVER' AND source = 'STOREDRIVER') GROUP BY 1),
  total AS (SELECT count(*) AS rows FROM ev)
  SELECT (SELECT count(*) FROM sent) + (SELECT count(*) FROM recv) AS users, (SELECT rows FROM total) AS rows`);
const [users, rows] = r.getRows()[0]!;
const seconds = (performance.now() - t) / 1000;
process.stdout.write(JSON.stringify({ seconds, maxRssMB: process.resourceUsage().maxRSS / 1024, rows: Number(rows), extra: { users: Number(users) } }) + '\n');
