// End to end, for every Exchange generation: generate an organisation's logs (several servers) with
// the generator's truth.json, ingest them through the CLI (run in this process, testing/run-cli.ts),
// and require every report to equal the truth exactly: per-user sent/received messages and bytes,
// days, traffic per day, classes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateTracking, type TrackingVersion } from '../../generate/tracking/index.js';
import { mxrayInProcess as mxray } from '../../testing/run-cli.js';

interface Truth {
  days: number;
  users: Record<string, { sent: number; received: number; sentBytes: number; receivedBytes: number }>;
  traffic: Record<string, { messages: number; bytes: number; deliveries: number }>;
  classes: { light: number; medium: number; heavy: number };
}

const versions: TrackingVersion[] = ['2013', '2010', '2007', '2003', '55'];

for (const version of versions) {
  test(`Exchange ${version}: reports equal the generator's truth`, async () => {
    const dir = mkdtempSync(join(tmpdir(), `mxray-e2e-${version}-`));
    const logs = join(dir, 'logs');
    const db = join(dir, 'm.duckdb');
    await generateTracking({ users: 40, days: 4, servers: 3, version, out: logs, seed: 11 });
    const truth = JSON.parse(readFileSync(join(logs, 'truth.json'), 'utf8')) as Truth;

    const ing = await mxray(['ingest', logs, '--db', db, '--json']);
    assert.equal(ing.code, 0, ing.stderr);
    const summary = JSON.parse(ing.stdout);
    assert.equal(summary.rejects, 0, JSON.stringify(summary.examples));
    assert.ok(summary.files >= 3, 'several server logs');

    const users = JSON.parse((await mxray(['tracking', 'users', '--db', db, '--json'])).stdout) as {
      user: string;
      sent: number;
      received: number;
      sentBytes: number;
      receivedBytes: number;
      n: number;
      class: string;
    }[];
    const got = Object.fromEntries(users.map((u) => [u.user, { sent: u.sent, received: u.received, sentBytes: u.sentBytes, receivedBytes: u.receivedBytes }]));
    assert.deepEqual(got, truth.users);

    const classes = JSON.parse((await mxray(['tracking', 'classes', '--db', db, '--json'])).stdout);
    assert.equal(classes.days, truth.days);
    assert.deepEqual({ light: classes.classes.light.users, medium: classes.classes.medium.users, heavy: classes.classes.heavy.users }, truth.classes);
    assert.ok(truth.classes.light > 0 && truth.classes.medium + truth.classes.heavy > 0, 'the sample has a mix of classes');

    const traffic = JSON.parse((await mxray(['tracking', 'traffic', '--by', 'day', '--db', db, '--json'])).stdout) as {
      period: string;
      messages: number;
      bytes: number;
      deliveries: number;
    }[];
    assert.deepEqual(Object.fromEntries(traffic.map((t) => [t.period, { messages: t.messages, bytes: t.bytes, deliveries: t.deliveries }])), truth.traffic);

    // the same logs again, and a second copy of one server's logs under another name: nothing changes
    const again = JSON.parse((await mxray(['ingest', logs, '--db', db, '--json'])).stdout);
    assert.equal(again.events, 0);
    assert.equal(again.files, 0);
    const users2 = JSON.parse((await mxray(['tracking', 'users', '--db', db, '--json'])).stdout);
    assert.deepEqual(users2, users);
  });
}
