// `npm run bench -- rules`: `rules test` with 20 rules over N stored tracking events (default 10
// million, MXRAY_BENCH_RULES_ROWS). The rows are made by DuckDB itself (INSERT … FROM range(N)),
// values drawn like a tracking log's (event ids, sizes, senders), since generating and ingesting
// 10 million real log lines takes far longer than the rules. Time and the peak memory of this process.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { openStore } from '../store/open.js';
import { testRules } from '../capabilities/rules/engine.js';
import { rulesSchema } from '../capabilities/rules/config.js';

const events = ['RECEIVE', 'DELIVER', 'SEND', 'HARECEIVE', 'HAREDIRECT', 'AGENTINFO', 'FAIL', 'DSN', 'EXPAND', 'DUPLICATEDELIVER'];

const ruleList = [
  {
    name: 'large-deliveries',
    source: 'tracking',
    include: [
      { field: 'event-id', op: '==', value: 'DELIVER' },
      { field: 'total-bytes', op: '>', value: 10_000_000 },
    ],
  },
  { name: 'failures', source: 'tracking', include: [{ field: 'event-id', op: 'in', value: ['FAIL', 'DSN'] }], stop: true },
  { name: 'noreply', source: 'tracking', include: [{ field: 'sender-address', op: 'matches', value: '^noreply' }] },
  { name: 'user7', source: 'tracking', include: [{ field: 'sender-address', op: '==', value: 'user7@contoso.com' }] },
  { name: 'many-recipients', source: 'tracking', include: [{ field: 'recipient-count', op: '>=', value: 45 }] },
  { name: 'subject-invoice', source: 'tracking', include: [{ field: 'message-subject', op: 'like', value: 'invoice*' }] },
  {
    name: 'ex03',
    source: 'tracking',
    include: [
      { field: 'server-hostname', op: '==', value: 'EX03' },
      { field: 'event-id', op: '==', value: 'SEND' },
    ],
  },
  { name: 'tiny', source: 'tracking', include: [{ field: 'total-bytes', op: '<', value: 200 }] },
  {
    name: 'expand',
    source: 'tracking',
    include: [{ field: 'event-id', op: '==', value: 'EXPAND' }],
    exclude: [{ field: 'sender-address', op: 'like', value: 'user1*' }],
  },
  { name: 'client-ip', source: 'tracking', include: [{ field: 'client-ip', op: 'in', value: ['10.0.0.1', '10.0.0.2'] }] },
  ...Array.from({ length: 10 }, (_, i) => ({
    name: `user-${i}-large`,
    source: 'tracking',
    include: [
      { field: 'sender-address', op: '==', value: `user${i * 13}@contoso.com` },
      { field: 'total-bytes', op: '>', value: 5_000_000 },
    ],
  })),
];

async function main(): Promise<void> {
  const n = Number(process.env.MXRAY_BENCH_RULES_ROWS ?? 10_000_000);
  const dir = join(process.cwd(), '.bench-cache');
  mkdirSync(dir, { recursive: true });
  const db = join(dir, `rules-${n}.duckdb`);
  const fresh = !existsSync(db);
  const store = await openStore({ db });
  try {
    if (fresh) {
      const t = performance.now();
      const ev = `[${events.map((e) => `'${e}'`).join(', ')}][1 + (i % ${events.length})]`;
      // DuckDB's own INSERT: the rows of N events in one statement (the store's connection: a bench
      // reaches past the Store interface here, as no product code may)
      const s = store as unknown as { db: { run(sql: string): Promise<unknown> } };
      await s.db.run(`INSERT INTO tracking_events (file_id, line, ts, server, event, source, role, message_id, internal_id, sender, recipients, recipient_count, bytes, directionality, subject, client_ip)
        SELECT 1 + (i // 1000000), 1 + (i % 1000000), TIMESTAMP '2024-03-04' + to_seconds(i // 50), 'EX0' || (1 + i % 4), ${ev}, 'SMTP', 0,
          '<m' || i || '@x>', CAST(i AS VARCHAR), CASE WHEN i % 997 = 0 THEN 'noreply' ELSE 'user' END || (hash(i) % 2000) || '@contoso.com',
          'user' || (hash(i + 1) % 2000) || '@contoso.com', 1 + hash(i + 2) % 50, hash(i + 3) % 20000000, 'Originating',
          CASE WHEN i % 101 = 0 THEN 'Invoice ' || i ELSE 'Re: hello' END, '10.0.0.' || (i % 250) FROM range(${n}) t(i)`);
      process.stderr.write(`made ${n.toLocaleString('en-US')} rows in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
    }
    const rules = rulesSchema.parse(ruleList);
    const none = async () => ({ ok: false as const, why: 'error' as const, detail: '' });
    let peak = process.memoryUsage().rss;
    const timer = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    const t = performance.now();
    const results = await testRules(store, rules, { ports: { hasher: none, runActions: async () => [] } });
    const seconds = (performance.now() - t) / 1000;
    clearInterval(timer);
    peak = Math.max(peak, process.memoryUsage().rss);
    const matches = results.reduce((a, r) => a + r.matches, 0);
    process.stdout.write(
      `rules test: ${rules.length} rules over ${n.toLocaleString('en-US')} stored tracking events (DuckDB): ${seconds.toFixed(2)} s, peak RSS ${(peak / 2 ** 20).toFixed(0)} MB, ${matches.toLocaleString('en-US')} matches\n`,
    );
  } finally {
    await store.close();
  }
  if (process.env.MXRAY_BENCH_KEEP !== '1') rmSync(db, { force: true });
}

await main();
