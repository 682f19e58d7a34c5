// A made-up text format that writes two tables, for tests of ctx.out(kind) (formats/types.ts): a
// user line starts an entry, and the indented lines under it are that user's presence samples, the
// way a presence poll gives directory users and their samples from one source.
//
//   #TESTPRESENCE
//   USER jdoe Sales                      -> test_users (line 2)
//     2024-03-04 10:00:00 online         -> test_samples (line 3)
//     2024-03-04 10:05:00 away           -> test_samples (line 4)
//
// An entry's rows (its user and its samples) are written when the next USER line comes or at the
// end, so pending() names the USER line of the entry still open: when the file grows, that entry is
// read again, and its rows in BOTH tables must be replaced (Batch.replace covers every table).
import type { Parser, RowContext, Sample, TextFormat } from '../formats/types.js';
import { origin, type RecordTable } from '../schema/tables.js';
import { testKinds } from './record-file.js';

export const testUsers: RecordTable = {
  name: 'test_users',
  doc: 'users of the made-up two-table format of src/testing/presence-file.ts',
  columns: [...origin, { name: 'user', type: 'text', doc: 'account' }, { name: 'dept', type: 'text', doc: 'department' }],
};

export const testSamples: RecordTable = {
  name: 'test_samples',
  doc: 'presence samples of the made-up two-table format of src/testing/presence-file.ts',
  columns: [
    ...origin,
    { name: 'ts', type: 'timestamp', doc: 'UTC time of the sample' },
    { name: 'user', type: 'text', doc: 'account' },
    { name: 'state', type: 'text', doc: 'online, away …' },
  ],
};

export const presenceTables = { [testKinds.users]: testUsers, [testKinds.samples]: testSamples };

interface Entry {
  line: number;
  offset: number;
  user: string;
  dept: string;
  samples: { line: number; ts: string; state: string }[];
}

const SAMPLE = /^\s+(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) (\S+)$/;
const USER = /^USER (\S+) (\S+)$/;

class PresenceParser implements Parser {
  private entry: Entry | undefined;

  constructor(private readonly ctx: RowContext) {}

  line(buf: Buffer, s: number, e: number, lineNo: number, offset: number): void {
    const text = buf.toString('utf8', s, e);
    if (text.startsWith('#')) return;
    const u = USER.exec(text);
    if (u) {
      this.flush();
      this.entry = { line: lineNo, offset, user: u[1]!, dept: u[2]!, samples: [] };
      return;
    }
    if (/^\s/.test(text)) {
      if (!this.entry) {
        this.ctx.reject(lineNo, 'orphan-line', 'a sample before any USER line');
        return;
      }
      const m = SAMPLE.exec(text);
      if (!m) {
        this.ctx.reject(lineNo, 'bad-time', text.trim());
        return;
      }
      this.entry.samples.push({ line: lineNo, ts: `${m[1]}.000`, state: m[2]! });
      return;
    }
    this.ctx.reject(lineNo, 'malformed', text);
  }

  private flush(): void {
    const en = this.entry;
    if (!en) return;
    this.entry = undefined;
    const users = this.ctx.out(testKinds.users);
    users.begin(en.line);
    users.text(en.user);
    users.text(en.dept);
    users.end();
    const samples = this.ctx.out(testKinds.samples);
    for (const x of en.samples) {
      samples.begin(x.line);
      samples.text(x.ts);
      samples.text(en.user);
      samples.text(x.state);
      samples.end();
    }
  }

  end(): void {
    this.flush();
  }

  state(): unknown {
    return null;
  }

  pending(): { line: number; offset: number } | undefined {
    return this.entry ? { line: this.entry.line, offset: this.entry.offset } : undefined;
  }
}

export const presenceFormat: TextFormat = {
  name: 'test-presence',
  title: 'made-up users and presence samples (tests only)',
  tables: [testKinds.users, testKinds.samples],
  sniff: (sample: Sample) => (sample.lines[0] === '#TESTPRESENCE' ? { confidence: 100, reason: 'a #TESTPRESENCE header' } : undefined),
  parser: (ctx) => new PresenceParser(ctx),
};
