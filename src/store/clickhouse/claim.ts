// One ingest at a time per ClickHouse database. Two ingests of the same folder at once would each
// find a file new (neither has committed it yet) and both store its rows: counted twice. So an
// ingest claims the database first, and a second one waits until the first is done (up to
// MXRAY_INGEST_WAIT_S, default 300 s), then goes on: both finish and nothing is counted twice. It
// also serialises ingests of different files (several machines each sending their own logs): they
// take turns, which costs time, not correctness.
//
// ClickHouse has no lock and (on 18.16, without ZooKeeper) no compare-and-set, so the claim is a
// lease written to a table, `ingest_claims`: an ingest inserts a claim row, then reads the live
// claims; when its own is the only one, it holds the database. Otherwise it withdraws its claim,
// waits a random while and tries again. Of two ingests, the one that inserts later reads after both
// rows exist, so it cannot think it is alone: never two holders. (Both may see each other and both
// withdraw: the random wait lets one of them win the next round.) The holder renews its claim every
// 15 s; a claim not renewed for 60 s (a process killed mid-ingest) no longer counts, nor, at once, a
// claim of this machine whose process is gone. An ingest that fails withdraws its claim (Store.
// ingestAborted). Times are the server's (now()), so the machines' clocks do not matter.
//
// A sealed write outside an ingest (serve's live rows, presence prune) takes the same claim around
// reading the chain's head, sealing and committing (store.ts sealTurn): the chain of seals has one
// head, and two writers extending it at once would fork it. So such a write waits for a running
// ingest to finish (up to MXRAY_INGEST_WAIT_S), and an ingest for it (milliseconds; a prune: its
// mutation).
import { hostname } from 'node:os';
import { randomInt } from 'node:crypto';
import { raw, sql } from '../../sql/sql.js';
import type { ClickhouseHttp } from './http.js';

const LEASE_S = 60;
const RENEW_MS = 15_000;

/** how long an ingest waits for another one (MXRAY_INGEST_WAIT_S, default 300 s) */
export function ingestWaitMs(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.MXRAY_INGEST_WAIT_S;
  if (v === undefined || v === '') return 300_000;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`MXRAY_INGEST_WAIT_S: expected a number of seconds, got "${v}"`);
  return n * 1000;
}

interface Claim {
  id: string;
  holder: string;
  since: string;
}

export class IngestClaim {
  private token: string | undefined;
  private renew: NodeJS.Timeout | undefined;
  readonly holder = `${hostname()} pid ${process.pid}`;

  constructor(
    private readonly ch: ClickhouseHttp,
    private readonly location: string,
  ) {}

  private write(token: string, state: 0 | 1): Promise<void> {
    return this.ch.exec(sql`INSERT INTO ingest_claims (token, holder, state) VALUES (${raw(token)}, ${this.holder}, ${state})`);
  }

  /** the holder is a process of this machine that no longer runs */
  private gone(holder: string): boolean {
    const m = /^(.*) pid (\d+)$/.exec(holder);
    if (!m || m[1] !== hostname() || Number(m[2]) === process.pid) return false;
    try {
      process.kill(Number(m[2]), 0);
      return false;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'ESRCH';
    }
  }

  /** the live claims other than `token`'s */
  private others(token: string): Promise<Claim[]> {
    return this.ch.query<Claim>(sql`SELECT toString(token) AS id, any(holder) AS holder, toString(min(at)) AS since
      FROM ingest_claims GROUP BY token
      HAVING max(state = 0) = 0 AND max(at) > now() - ${LEASE_S} AND token != ${raw(token)}
      ORDER BY since`);
  }

  /** this process holds the database (between acquire() and release()) */
  get held(): boolean {
    return this.token !== undefined;
  }

  /** hold the database for an ingest, waiting (up to `waitMs`) while another ingest holds it */
  async acquire(waitMs: number, onWait?: (message: string) => void): Promise<void> {
    const deadline = Date.now() + waitMs;
    let told = false;
    for (;;) {
      const token = String(BigInt(randomInt(1, 2 ** 31)) * 2n ** 32n + BigInt(randomInt(0, 2 ** 32)));
      await this.write(token, 1);
      const others: Claim[] = [];
      for (const c of await this.others(token)) {
        // a claim of this machine whose process has ended (killed mid-ingest) is withdrawn for it
        if (this.gone(c.holder)) await this.write(c.id, 0);
        else others.push(c);
      }
      if (others.length === 0) {
        this.token = token;
        this.renew = setInterval(() => {
          this.write(token, 1).catch(() => {}); // a failed renewal is retried at the next one
        }, RENEW_MS);
        this.renew.unref();
        return;
      }
      await this.write(token, 0);
      const first = others[0]!;
      if (Date.now() >= deadline) {
        throw new Error(
          `another ingest into ${this.location} is running (${first.holder}, since ${first.since} UTC): one ingest at a time writes to a store, ` +
            `so that no file is counted twice. Run again when it has finished (this one waited ${Math.round(waitMs / 1000)} s, MXRAY_INGEST_WAIT_S)`,
        );
      }
      if (!told) {
        told = true;
        onWait?.(`waiting for the ingest by ${first.holder} (since ${first.since} UTC) to finish`);
      }
      await new Promise((r) => setTimeout(r, 300 + randomInt(0, 700)));
    }
  }

  /** let the next ingest go (nothing happens when not holding) */
  async release(): Promise<void> {
    if (this.renew) clearInterval(this.renew);
    this.renew = undefined;
    const token = this.token;
    this.token = undefined;
    if (token) await this.write(token, 0);
  }
}
