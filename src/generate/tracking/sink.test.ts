import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogSink, type LogLayout } from './sink.js';
import { TruthBuilder } from './truth.js';
import { buildOrg } from './org.js';
import { Random } from './random.js';
import { iso, stamp } from './generation.js';
import { logFiles } from './logs.fixture.js';

const root = mkdtempSync(join(tmpdir(), 'mxray-tracksink-'));
after(() => rmSync(root, { recursive: true, force: true }));

const layout: LogLayout = {
  stem: (server, stream, t) => `${server.name}/${stream}${stamp(t, false)}`,
  name: (stem, seq) => `${stem}-${seq}.LOG`,
  header: (t) => [`#Date: ${iso(t)}`],
  bom: true,
  maxBytes: 400,
};

test('the sink writes each file in time order, rolls over per day and at the size limit, headers on top', () => {
  const out = join(root, 'a');
  const truth = new TruthBuilder();
  const sink = new LogSink(out, layout, truth);
  const [ex1, ex2] = buildOrg(1, 4, 2).servers;
  const day = Date.parse('2024-03-04T00:00:00Z');
  const rng = new Random(3);
  // events in flight: emitted out of order, released in steps, as the generator does
  const times: number[] = [];
  for (let i = 0; i < 120; i++) times.push(day + rng.int(0, 2 * 86_400_000 - 1));
  times.sort((a, b) => a - b);
  for (let i = 0; i < times.length; i += 6) {
    sink.release(times[i]!);
    const batch = times.slice(i, i + 6).reverse();
    for (const t of batch) sink.emit(t, sink.slot(t % 2 ? ex1! : ex2!, 'MSGTRK'), `event at ${iso(t)}`);
  }
  sink.finish();

  const files = logFiles(out);
  assert.ok(files.length > 4, 'several files per server and day');
  let lines = 0;
  for (const f of files) {
    const bytes = readFileSync(join(out, f));
    assert.ok(bytes.length <= layout.maxBytes, `${f}: ${bytes.length} bytes`);
    assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    const text = bytes.toString('utf8').slice(1).split('\r\n');
    assert.equal(text.pop(), '');
    const events = text.slice(1).map((l) => l.slice('event at '.length));
    assert.equal(text[0], `#Date: ${events[0]}`);
    assert.deepEqual(events, [...events].sort());
    assert.ok(
      events.every((e) => f.includes(e.slice(0, 10).replace(/-/g, ''))),
      `${f} holds one day`,
    );
    lines += events.length;
  }
  assert.equal(lines, times.length);
  assert.ok(files.includes('EX01/MSGTRK20240304-1.LOG') && files.includes('EX01/MSGTRK20240304-2.LOG'));
  assert.equal(
    sink.bytes,
    files.reduce((a, f) => a + readFileSync(join(out, f)).length, 0),
  );
  assert.equal(truth.build('2013', 1).days, 2);
});
