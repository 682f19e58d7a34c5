import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkTrackingOptions,
  generateTracking,
  generatedLogs,
  generatedTruth,
  trackingVersions,
  type TrackingGenOptions,
  type TrackingTruth,
  type TrackingVersion,
} from './index.js';
import {
  count2003,
  count55,
  countCsv,
  date55,
  logFiles,
  read2003,
  read55,
  readCsvLog,
  readLines,
  splitCsvLine,
  type Counts,
  type CsvLog,
} from './logs.fixture.js';

const root = mkdtempSync(join(tmpdir(), 'mxray-trackgen-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Friday to Sunday: working days and a weekend; three servers */
const small = (version: TrackingVersion, dir: string, seed = 5): TrackingGenOptions => ({
  users: 24,
  days: 3,
  servers: 3,
  version,
  out: join(root, dir),
  seed,
  start: '2024-03-08',
});

const csvFields = {
  '2007':
    'date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,connector-id,source,event-id,internal-message-id,message-id,recipient-address,recipient-status,total-bytes,recipient-count,related-recipient-address,reference,message-subject,sender-address,return-path,message-info',
  '2010':
    'date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,connector-id,source,event-id,internal-message-id,message-id,recipient-address,recipient-status,total-bytes,recipient-count,related-recipient-address,reference,message-subject,sender-address,return-path,message-info,directionality,tenant-id,original-client-ip,original-server-ip,custom-data',
  '2013':
    'date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,connector-id,source,event-id,internal-message-id,message-id,network-message-id,recipient-address,recipient-status,total-bytes,recipient-count,related-recipient-address,reference,message-subject,sender-address,return-path,message-info,directionality,tenant-id,original-client-ip,original-server-ip,custom-data,transport-traffic-type,log-id,schema-version',
} as const;

/** classes recomputed from counts, written out independently of truth.ts */
function classesOf(users: Counts['users'], days: number) {
  const classes = { light: 0, medium: 0, heavy: 0 };
  for (const u of Object.values(users)) {
    const n = Math.sqrt(((u.sent / days) ** 2 + (u.received / days) ** 2) / 2);
    classes[n < 48 ? 'light' : n >= 78 ? 'heavy' : 'medium']++;
  }
  return classes;
}

/** the truth must equal what a plain count over the files finds */
function assertTruthMatches(truth: TrackingTruth, counted: Counts): void {
  const users = Object.fromEntries(Object.entries(counted.users).filter(([, u]) => u.sent + u.received > 0));
  assert.deepEqual(truth.users, users);
  assert.deepEqual(truth.traffic, counted.traffic);
  const dates = [...counted.dates].sort();
  assert.equal(truth.days, dates.length);
  assert.equal(truth.from, dates[0]);
  assert.equal(truth.to, dates[dates.length - 1]);
  assert.deepEqual(truth.classes, classesOf(users, dates.length));
  // the sums agree with each other
  const sum = (f: (u: TrackingTruth['users'][string]) => number) => Object.values(truth.users).reduce((a, u) => a + f(u), 0);
  const days = Object.values(truth.traffic);
  assert.equal(
    sum((u) => u.sent),
    days.reduce((a, d) => a + d.messages, 0),
  );
  assert.equal(
    sum((u) => u.sentBytes),
    days.reduce((a, d) => a + d.bytes, 0),
  );
  assert.equal(
    sum((u) => u.received),
    days.reduce((a, d) => a + d.deliveries, 0),
  );
}

describe('generate tracking: options', () => {
  test('rejects bad options with the option named', () => {
    const ok: TrackingGenOptions = { users: 5, days: 1, servers: 1, version: '2013', out: root };
    assert.doesNotThrow(() => checkTrackingOptions(ok));
    assert.throws(() => checkTrackingOptions({ ...ok, users: 0 }), /--users: expected a whole number/);
    assert.throws(() => checkTrackingOptions({ ...ok, days: 1.5 }), /--days/);
    assert.throws(() => checkTrackingOptions({ ...ok, servers: 100 }), /--servers/);
    assert.throws(() => checkTrackingOptions({ ...ok, version: '2019' as TrackingVersion }), /--version: expected one of 55, 2003, 2007, 2010, 2013, got 2019/);
    assert.throws(() => checkTrackingOptions({ ...ok, start: '2024-02-30' }), /--start/);
    assert.throws(() => checkTrackingOptions({ ...ok, seed: -1 }), /--seed/);
    assert.throws(() => checkTrackingOptions({ ...ok, targetBytes: 0 }), /targetBytes/);
  });
});

describe('generate tracking: determinism', () => {
  for (const version of trackingVersions) {
    test(`${version}: the same seed gives the same bytes, another seed other bytes`, async () => {
      const options = (dir: string, seed = 5): TrackingGenOptions => ({ ...small(version, dir, seed), users: 12, days: 2 });
      await generateTracking(options(`det-${version}-a`));
      await generateTracking(options(`det-${version}-b`));
      await generateTracking(options(`det-${version}-c`, 6));
      const a = join(root, `det-${version}-a`),
        b = join(root, `det-${version}-b`),
        c = join(root, `det-${version}-c`);
      const files = logFiles(a);
      assert.deepEqual(logFiles(b), files);
      for (const f of [...files, 'truth.json']) assert.ok(readFileSync(join(a, f)).equals(readFileSync(join(b, f))), `${f} differs`);
      assert.notDeepEqual(readFileSync(join(c, 'truth.json'), 'utf8'), readFileSync(join(a, 'truth.json'), 'utf8'));
      for (const d of [a, b, c]) rmSync(d, { recursive: true, force: true });
    });
  }
});

for (const version of ['2013', '2010', '2007'] as const) {
  describe(`generate tracking: Exchange ${version} CSV`, () => {
    const set = join(root, `csv-${version}`);
    const dir = generatedLogs(set);
    let truth: TrackingTruth;
    let logs: CsvLog[];
    before(async () => {
      truth = await generateTracking(small(version, `csv-${version}`));
      logs = logFiles(dir).map((f) => readCsvLog(dir, f));
    });

    test('file names, BOM, CRLF and the exact header block', () => {
      const name = version === '2013' ? /^EX0[1-3]\/MSGTRK(MS|MD)?202403(08|09|10)\d\d-\d+\.LOG$/ : /^EX0[1-3]\/MSGTRK202403(08|09|10)-\d+\.LOG$/;
      for (const log of logs) {
        assert.match(log.file, name);
        const { bom, bareLf, endsWithCrlf } = readLines(join(dir, log.file));
        assert.ok(bom && endsWithCrlf && bareLf === 0, `${log.file}: BOM, CRLF`);
        assert.equal(log.header.length, 5);
        assert.equal(log.header[0], '#Software: Microsoft Exchange Server');
        assert.match(log.header[1]!, /^#Version: \d\d\.\d\d\.\d{4}\.\d{3}$/);
        assert.equal(log.header[2], '#Log-type: Message Tracking Log');
        assert.match(log.header[3]!, /^#Date: 2024-03-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        assert.equal(log.header[4], `#Fields: ${csvFields[version]}`);
        assert.equal(log.header[3]!.slice(7), log.records[0]?.['date-time'], 'the #Date is the first event');
      }
      if (version === '2013') {
        const kinds = new Set(logs.map((l) => /MSGTRK(MS|MD)?/.exec(l.file)![0]));
        assert.deepEqual([...kinds].sort(), ['MSGTRK', 'MSGTRKMD', 'MSGTRKMS']);
      }
    });

    test("every line has exactly the header's field count, times sorted within a file", () => {
      for (const log of logs) {
        assert.deepEqual(log.badLines, [], log.file);
        const times = log.records.map((r) => r['date-time']!);
        assert.deepEqual(times, [...times].sort(), `${log.file} is in time order`);
        for (const t of times) assert.match(t, /^2024-03-(08|09|10)T\d\d:\d\d:\d\d\.\d{3}Z$/);
      }
      // quoted fields really are there: subjects with commas and doubled quotes
      const subjects = logs.flatMap((l) => l.records.map((r) => r['message-subject']!));
      assert.ok(subjects.some((s) => s.includes(',')));
      assert.ok(subjects.some((s) => s.includes('"')));
    });

    test('the events of this generation are all there', () => {
      const seen = new Set(logs.flatMap((l) => l.records.map((r) => `${r['event-id']}/${r['source']}`)));
      const common = [
        'SUBMIT/STOREDRIVER',
        'RECEIVE/STOREDRIVER',
        'RECEIVE/SMTP',
        'SEND/SMTP',
        'DELIVER/STOREDRIVER',
        'EXPAND/ROUTING',
        'FAIL/ROUTING',
        'FAIL/SMTP',
        'DSN/DSN',
      ];
      const own = {
        '2013': ['NOTIFYMAPI/STOREDRIVER', 'HAREDIRECT/SMTP', 'HARECEIVE/SMTP', 'AGENTINFO/AGENT', 'DUPLICATEDELIVER/STOREDRIVER'],
        '2010': ['NOTIFYMAPI/STOREDRIVER', 'AGENTINFO/AGENT', 'TRANSFER/ROUTING'],
        '2007': ['TRANSFER/ROUTING'],
      }[version];
      for (const e of [...common, ...own]) assert.ok(seen.has(e), `${e} is logged`);
      const absent = {
        '2013': ['TRANSFER/ROUTING'],
        '2010': ['HAREDIRECT/SMTP', 'DUPLICATEDELIVER/STOREDRIVER'],
        '2007': ['AGENTINFO/AGENT', 'NOTIFYMAPI/STOREDRIVER'],
      }[version];
      for (const e of absent) assert.ok(!seen.has(e), `${e} is not logged by ${version}`);
      const records = logs.flatMap((l) => l.records);
      if (version !== '2007') {
        assert.ok(
          records.some((r) => r['directionality'] === 'Incoming' && r['event-id'] === 'RECEIVE'),
          'mail from the internet',
        );
        // quota warnings: NOTIFYMAPI without a message id
        assert.ok(records.some((r) => r['event-id'] === 'NOTIFYMAPI' && r['message-id'] === '' && r['source-context']!.includes('StorageQuotaWarning')));
      }
      assert.ok(
        records.some((r) => r['event-id'] === 'SEND' && r['connector-id'] === 'Internet Mail'),
        'mail to the internet',
      );
    });

    test('one message-id on every server, internal ids per server, DELIVER larger than the submission', () => {
      const records = logs.flatMap((l) => l.records.map((r): Record<string, string> => ({ ...r, server: l.file.slice(0, 4) })));
      const submitted = new Map<string, number>();
      for (const r of records) if (r['event-id'] === 'RECEIVE' && r['source'] === 'STOREDRIVER') submitted.set(r['message-id']!, Number(r['total-bytes']));
      const received = new Set(records.filter((r) => r['event-id'] === 'RECEIVE').map((r) => r['message-id']!));
      let crossServer = 0;
      const servers = new Map<string, Set<string>>();
      for (const r of records) {
        if (!r['message-id']) continue;
        let s = servers.get(r['message-id']);
        if (!s) servers.set(r['message-id'], (s = new Set()));
        s.add(r['server']!);
        if (r['event-id'] !== 'DELIVER') continue;
        // every delivered message was received somewhere under the same message-id
        assert.ok(
          received.has(r['message-id']!) || r['sender-address']!.startsWith('MicrosoftExchange') || r['sender-address']!.startsWith('postmaster'),
          `DELIVER of ${r['message-id']} without its RECEIVE`,
        );
        const size = submitted.get(r['message-id']!);
        if (size !== undefined) assert.ok(Number(r['total-bytes']) > size, 'headers are added on the way');
      }
      for (const s of servers.values()) if (s.size > 1) crossServer++;
      assert.ok(crossServer > 20, 'many messages are logged on several servers');
      // the same message has different internal-message-ids on different servers
      const ids = new Map<string, Map<string, string>>();
      for (const r of records) {
        if (!r['message-id'] || !r['internal-message-id'] || r['source'] !== 'SMTP' || r['event-id'] !== 'RECEIVE') continue;
        const m = ids.get(r['message-id']) ?? new Map<string, string>();
        ids.set(r['message-id'], m);
        for (const [server, id] of m) if (server !== r['server']) assert.notEqual(id, r['internal-message-id']);
        m.set(r['server']!, r['internal-message-id']);
      }
      if (version === '2013') {
        const byNetwork = new Map<string, Set<string>>();
        for (const r of records) {
          if (!r['network-message-id']) continue;
          const s = byNetwork.get(r['network-message-id']) ?? new Set<string>();
          byNetwork.set(r['network-message-id'], s);
          s.add(r['message-id']!);
        }
        for (const s of byNetwork.values()) assert.equal(s.size, 1);
      }
    });

    test('truth.json equals an independent count over the files', () => {
      assert.deepEqual(JSON.parse(readFileSync(generatedTruth(set), 'utf8')), truth);
      assert.equal(truth.version, version);
      assert.equal(truth.days, 3);
      assertTruthMatches(truth, countCsv(logs));
    });
  });
}

describe('generate tracking: Exchange 2003', () => {
  const dir = generatedLogs(join(root, 'x2003'));
  let truth: TrackingTruth;
  let files: string[];
  before(async () => {
    truth = await generateTracking(small('2003', 'x2003'));
    files = logFiles(dir);
  });

  test('a <SERVER>.log folder, yyyymmdd.log, the 2003 header, 20 tab fields with - for empty', () => {
    assert.ok(files.length >= 3);
    for (const f of files) {
      assert.match(f, /^EX0[1-3]\.log\/202403(08|09|10)\.log$/);
      const { bom, bareLf, endsWithCrlf } = readLines(join(dir, f));
      assert.ok(!bom && endsWithCrlf && bareLf === 0);
      const { header, lines } = read2003(dir, f);
      assert.deepEqual(header.slice(0, 2), ['# Message Tracking Log File', '# Exchange System Attendant Version 6.5.7638.1']);
      assert.equal(
        header[2],
        '# Date\tTime\tclient-ip\tClient-hostname\tPartner-Name\tServer-hostname\tserver-IP\tRecipient-Address\tEvent-ID\tMSGID\tPriority\tRecipient-Report-Status\ttotal-bytes\tNumber-Recipients\tOrigination-Time\tEncryption\tservice-Version\tLinked-MSGID\tMessage-Subject\tSender-Address',
      );
      for (const l of lines) {
        assert.equal(l.fields.length, 20, l.fields.join('|'));
        assert.ok(
          l.fields.every((v) => v !== ''),
          'empty fields are written as -',
        );
        assert.match(l.fields[1]!, /^\d\d:\d\d:\d\d GMT$/);
        assert.equal(l.fields[5], f.slice(0, 4), 'Server-hostname is the server of the folder');
      }
    }
  });

  test('Linked-MSGID is the same on every line of a message on every server; 1028 only after a 1027 or 1019', () => {
    const lines = files.flatMap((f) => read2003(dir, f).lines);
    const byLinked = new Map<string, { msgids: Set<string>; servers: Set<string>; events: Set<string> }>();
    for (const { fields: f } of lines) {
      const g = byLinked.get(f[17]!) ?? { msgids: new Set(), servers: new Set(), events: new Set() };
      byLinked.set(f[17]!, g);
      g.msgids.add(f[9]!);
      g.servers.add(f[5]!);
      g.events.add(f[8]!);
    }
    let crossServer = 0;
    for (const [linked, g] of byLinked) {
      assert.match(linked, /^c=US;a= ;p=CONTOSO;l=EX0[1-3]-\d{12}Z-\d+$/);
      assert.equal(g.msgids.size, 1);
      if (g.servers.size > 1) crossServer++;
      if (g.events.has('1028')) assert.ok(g.events.has('1027') || g.events.has('1019') || g.events.has('1036'));
    }
    assert.ok(crossServer > 20);
    const events = new Set(lines.map((l) => l.fields[8]));
    for (const e of ['1027', '1019', '1025', '1024', '1033', '1036', '1028', '1034', '1020', '1031', '1030']) assert.ok(events.has(e), e);
    // inbound internet mail: 1019 with an outside sender
    assert.ok(lines.some((l) => l.fields[8] === '1019' && !l.fields[19]!.toLowerCase().endsWith('@contoso.com')));
  });

  test('truth.json equals an independent count over the files', () => {
    assertTruthMatches(truth, count2003(files.flatMap((f) => read2003(dir, f).lines)));
  });
});

describe('generate tracking: Exchange 5.5', () => {
  const dir = generatedLogs(join(root, 'x55'));
  let truth: TrackingTruth;
  let files: string[];
  before(async () => {
    truth = await generateTracking(small('55', 'x55'));
    files = logFiles(dir);
  });

  test('Tracking.log folders, entries of 13 fields with as many recipient lines as field 13 says', () => {
    for (const f of files) {
      assert.match(f, /^EX0[1-3]\/Tracking\.log\/202403(08|09|10)\.log$/);
      const { bom, bareLf, endsWithCrlf } = readLines(join(dir, f));
      assert.ok(!bom && endsWithCrlf && bareLf === 0);
      const { entries, orphans } = read55(dir, f);
      assert.equal(orphans, 0);
      for (const e of entries) {
        assert.equal(e.first.length, 13, e.first.join('|'));
        assert.equal(e.recipients.length, Number(e.first[12]), `${e.first[0]} event ${e.first[1]}`);
        assert.match(e.first[0]!, /^C=US;A= ;P=CONTOSO;L=EX0[1-3]-\d{12}Z-\d+$/);
        assert.match(e.first[2]!, /^2024\.3\.(8|9|10) \d\d:\d\d:\d\d$/);
        assert.equal(date55(e.first[2]!), f.slice(-12, -8) + '-' + f.slice(-8, -6) + '-' + f.slice(-6, -4));
      }
    }
  });

  test('4 and 1000 share the message id; 9 arrives on other servers under the same id', () => {
    const entries = files.flatMap((f) => read55(dir, f).entries);
    const events = new Map<string, Set<string>>();
    for (const e of entries) {
      const s = events.get(e.first[0]!) ?? new Set<string>();
      events.set(e.first[0]!, s);
      s.add(`${e.first[1]}@${e.file.slice(0, 4)}`);
    }
    let both = 0,
      transferred = 0;
    for (const s of events.values()) {
      const list = [...s];
      if (list.some((x) => x.startsWith('4@')) && list.some((x) => x.startsWith('1000@'))) both++;
      if (list.some((x) => x.startsWith('7@')) && list.some((x) => x.startsWith('0@'))) transferred++;
    }
    assert.ok(both > 5, 'messages with local and remote recipients log 4 and 1000');
    assert.ok(transferred > 20, 'transfers between servers');
    const kinds = new Set(entries.map((e) => e.first[1]));
    for (const e of ['4', '1000', '9', '7', '0', '26', '1012', '1004', '1010', '1011', '34', '10']) assert.ok(kinds.has(e), `event ${e}`);
    // users are DNs
    assert.ok(entries.filter((e) => e.first[1] === '4').every((e) => e.first[6]!.startsWith('/o=CONTOSO/ou=SITE1/cn=Recipients/cn=')));
  });

  test('truth.json equals an independent count over the files (users as lower-case DNs)', () => {
    assertTruthMatches(truth, count55(files.flatMap((f) => read55(dir, f).entries)));
    assert.ok(Object.keys(truth.users).every((k) => k.startsWith('/o=contoso/ou=site1/cn=recipients/cn=')));
  });
});

describe('generate tracking: volumes', () => {
  test('50 users over 5 working days fall in all three classes', async () => {
    for (const version of ['2013', '55'] as const) {
      const out = join(root, `mix-${version}`);
      const truth = await generateTracking({ users: 50, days: 5, servers: 3, version, out, seed: 1 });
      assert.equal(truth.days, 5);
      assert.ok(truth.classes.light >= 25 && truth.classes.medium >= 4 && truth.classes.heavy >= 2, JSON.stringify(truth.classes));
      rmSync(out, { recursive: true, force: true });
    }
  });

  test('targetBytes keeps generating past --days until about that many bytes', async () => {
    const out = join(root, 'target');
    const truth = await generateTracking({ users: 10, days: 1, servers: 2, version: '2010', out, seed: 3, targetBytes: 6_000_000 });
    const bytes = logFiles(out).reduce((a, f) => a + readFileSync(join(out, f)).length, 0);
    assert.ok(bytes >= 6_000_000 && bytes < 6_300_000, `${bytes} bytes`);
    assert.ok(truth.days > 1);
    assertTruthMatches(truth, countCsv(logFiles(out).map((f) => readCsvLog(out, f))));
    rmSync(out, { recursive: true, force: true });
  });

  test('a one-mailbox, one-server organisation still works', async () => {
    const out = join(root, 'tiny');
    const truth = await generateTracking({ users: 1, days: 2, servers: 1, version: '2013', out, seed: 9 });
    assertTruthMatches(truth, countCsv(logFiles(out).map((f) => readCsvLog(out, f))));
    rmSync(out, { recursive: true, force: true });
  });
});

test('splitCsvLine: quotes, doubled quotes, empty fields', () => {
  assert.deepEqual(splitCsvLine('a,"b,c",,"d ""e""",'), ['a', 'b,c', '', 'd "e"', '']);
  assert.throws(() => splitCsvLine('a,"b'), /unterminated/);
});
