// The HTTP client: errors of both server generations, wait_end_of_query, 64-bit integers,
// credentials, and failures without a server (refused, silent peer, garbage).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { ClickhouseError, ClickhouseHttp, parseErrorBody } from './http.js';
import { ident, sql } from '../../sql/sql.js';
import { describeClickhouse, freePorts, startClickhouse, type ClickhouseServer } from '../../testing/clickhouse.js';

describe('parseErrorBody', () => {
  it('reads the 18.16 form', () => {
    const body = "Code: 60, e.displayText() = DB::Exception: Table default.nosuch doesn't exist., e.what() = DB::Exception\n";
    assert.deepEqual(parseErrorBody(body), { code: 60, message: "Table default.nosuch doesn't exist." });
  });
  it('reads the current form with the code name and version', () => {
    const body = 'Code: 60. DB::Exception: Table default.nosuch does not exist. (UNKNOWN_TABLE) (version 24.3.2.23 (official build))\n';
    assert.deepEqual(parseErrorBody(body), { code: 60, codeName: 'UNKNOWN_TABLE', message: 'Table default.nosuch does not exist.' });
  });
  it('cleans nested messages (a Distributed query with a shard down)', () => {
    const body =
      'Code: 279, e.displayText() = DB::NetException: All connection tries failed. Log: \n\n' +
      'Code: 210, e.displayText() = DB::NetException: Connection refused (127.0.0.1:43939), e.what() = DB::NetException\n' +
      ', e.what() = DB::NetException\n';
    assert.deepEqual(parseErrorBody(body), { code: 279, message: 'All connection tries failed. Log: \n\nCode: 210, Connection refused (127.0.0.1:43939)' });
  });
  it('keeps a body that is not a ClickHouse error as the message', () => {
    assert.deepEqual(parseErrorBody('Bad Gateway\n'), { message: 'Bad Gateway' });
  });
});

/** a TCP server run by the test: `onSocket` decides what the peer does */
async function fakeServer(onSocket: (s: Socket) => void): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    onSocket(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as import('node:net').AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

async function rejection(p: Promise<unknown>): Promise<ClickhouseError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ClickhouseError, `expected a ClickhouseError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the call to fail');
}

describe('ClickhouseHttp without a server', () => {
  it('reports a refused connection naming host:port', async () => {
    const [port] = await freePorts(1);
    const ch = new ClickhouseHttp({ url: `http://127.0.0.1:${port}`, timeoutMs: 5000 });
    const err = await rejection(ch.query('SELECT 1'));
    assert.equal(err.kind, 'refused');
    assert.equal(err.status, 0);
    assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}.*refused`));
    assert.equal(await ch.ping(), false);
  });

  it('times out on a peer that accepts and never answers, within the deadline', async () => {
    const peer = await fakeServer(() => {
      /* say nothing */
    });
    try {
      const ch = new ClickhouseHttp({ url: peer.url, timeoutMs: 300 });
      const t0 = performance.now();
      const err = await rejection(ch.query('SELECT 1'));
      const took = performance.now() - t0;
      assert.equal(err.kind, 'timeout');
      assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${peer.port} did not answer within 300 ms`));
      assert.ok(took >= 250 && took < 3000, `took ${took} ms`);
      assert.equal(await ch.ping(200), false);
    } finally {
      await peer.close();
    }
  });

  it('times out on a peer that sends headers and then stalls the body', async () => {
    const peer = await fakeServer((s) => {
      s.once('data', () => s.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"meta":'));
    });
    try {
      const ch = new ClickhouseHttp({ url: peer.url, timeoutMs: 300 });
      const err = await rejection(ch.query('SELECT 1'));
      assert.equal(err.kind, 'timeout');
      assert.equal(err.status, 200);
    } finally {
      await peer.close();
    }
  });

  it("parses the current servers' error form and the exception-code header", async () => {
    const body = 'Code: 60. DB::Exception: Table default.x does not exist. (UNKNOWN_TABLE) (version 24.3.2.23 (official build))\n';
    const peer = await fakeServer((s) => {
      s.once('data', () =>
        s.end(`HTTP/1.1 404 Not Found\r\nX-ClickHouse-Exception-Code: 60\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`),
      );
    });
    try {
      const err = await rejection(new ClickhouseHttp({ url: peer.url, timeoutMs: 2000 }).exec('SELECT * FROM x'));
      assert.deepEqual(
        { kind: err.kind, status: err.status, code: err.code, codeName: err.codeName, message: err.message },
        { kind: 'server', status: 404, code: 60, codeName: 'UNKNOWN_TABLE', message: 'Table default.x does not exist.' },
      );
    } finally {
      await peer.close();
    }
  });

  it('finds an error written after 200 and partial rows (a server ignoring wait_end_of_query)', async () => {
    const body =
      '{"meta":[{"name":"x","type":"UInt8"}],"data":[[0],\n[0]Code: 395, e.displayText() = DB::Exception: Value passed to \'throwIf\' function is non zero, e.what() = DB::Exception\n';
    const peer = await fakeServer((s) => {
      s.once('data', () => s.end(`HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`));
    });
    try {
      const err = await rejection(new ClickhouseHttp({ url: peer.url, timeoutMs: 2000 }).query('SELECT 1'));
      assert.deepEqual(
        { kind: err.kind, status: err.status, code: err.code, message: err.message },
        { kind: 'server', status: 200, code: 395, message: "Value passed to 'throwIf' function is non zero" },
      );
    } finally {
      await peer.close();
    }
  });

  it('reports an answer that is not JSONCompact as a decode error', async () => {
    const peer = await fakeServer((s) => {
      s.once('data', () => s.end('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello'));
    });
    try {
      const err = await rejection(new ClickhouseHttp({ url: peer.url, timeoutMs: 2000 }).query('SELECT 1'));
      assert.equal(err.kind, 'decode');
      assert.match(err.message, /not JSONCompact: hello/);
    } finally {
      await peer.close();
    }
  });

  it('rejects bad urls and setting names before sending anything', async () => {
    assert.throws(() => new ClickhouseHttp({ url: 'not a url' }), /not a valid URL/);
    assert.throws(() => new ClickhouseHttp({ url: 'ftp://x' }), /http/);
    const ch = new ClickhouseHttp({ url: 'http://127.0.0.1:1' });
    await assert.rejects(ch.exec('SELECT 1', { settings: { 'a&b=1': 1 } }), /invalid ClickHouse setting name/);
  });
});

describeClickhouse('ClickhouseHttp on a real server', () => {
  const password = 'S3cr3t p@ss/w0rd&=';
  let server: ClickhouseServer;
  let ch: ClickhouseHttp;
  before(async () => {
    server = await startClickhouse({ users: [{ name: 'mxray_reader', password }] });
    ch = new ClickhouseHttp({ url: server.url, timeoutMs: 20_000 });
  });
  after(async () => {
    await server?.stop();
  });

  it('pings and tells the server version', async () => {
    assert.equal(await ch.ping(), true);
    assert.match(await ch.serverVersion(), /^\d+\.\d+\.\d+/);
  });

  it("reports a syntax error with code 62 and the server's message", async () => {
    const err = await rejection(ch.query('SELECT FROM WHERE'));
    assert.equal(err.kind, 'server');
    assert.equal(err.code, 62);
    assert.ok(err.status >= 400, `status ${err.status}`);
    assert.match(err.message, /^Syntax error/);
    assert.doesNotMatch(err.message, /e\.what\(\)|DB::Exception|^Code:/);
    assert.equal(err.endpoint, `127.0.0.1:${server.httpPort}`);
  });

  it('reports an unknown table with code 60', async () => {
    const err = await rejection(ch.query(sql`SELECT * FROM ${ident('no_such_table')}`));
    assert.equal(err.code, 60);
    assert.match(err.message, /^Table default\.no_such_table does(n't| not) exist\.$/);
  });

  it('rejects a query that fails half-way instead of returning partial rows (wait_end_of_query)', async () => {
    // small blocks, so that without wait_end_of_query the server has streamed rows before the error
    const query = 'SELECT number, throwIf(number = 100000) AS x FROM system.numbers LIMIT 200000';
    const settings = { max_block_size: 1000 };
    const raw = await fetch(`${server.url}/?max_block_size=1000`, { method: 'POST', body: `${query} FORMAT JSONCompact`, signal: AbortSignal.timeout(20_000) });
    const rawBody = await raw.text();
    assert.equal(raw.status, 200, 'the pitfall: without wait_end_of_query the error comes after 200 and rows');
    assert.match(rawBody, /\["99999", 0\]Code: 395/);
    const err = await rejection(ch.query(query, { settings }));
    assert.equal(err.kind, 'server');
    assert.equal(err.code, 395);
    assert.equal(err.status, 500);
  });

  it('decodes 64-bit integers: safe ones as numbers, others by the int64 option, never rounded', async () => {
    const [r] = await ch.query<{ n: number; small: number; neg: number; arr: number[]; nul: number | null }>(
      'SELECT count() AS n, toUInt64(42) AS small, toInt64(-7) AS neg, [toUInt64(1), 2] AS arr, CAST(NULL AS Nullable(Int64)) AS nul FROM system.one',
    );
    assert.deepEqual(r, { n: 1, small: 42, neg: -7, arr: [1, 2], nul: null });
    const huge = "SELECT toUInt64(18446744073709551615) AS u, toInt64(-9223372036854775808) AS i, (toUInt64(5), 'x') AS t";
    const err = await rejection(ch.query(huge));
    assert.equal(err.kind, 'decode');
    assert.match(err.message, /column u \(UInt64\) holds 18446744073709551615/);
    assert.deepEqual(await ch.query(huge, { int64: 'bigint' }), [{ u: 18446744073709551615n, i: -9223372036854775808n, t: [5n, 'x'] }]);
    assert.deepEqual(await ch.query(huge, { int64: 'string' }), [{ u: '18446744073709551615', i: '-9223372036854775808', t: ['5', 'x'] }]);
  });

  it('decodes nan and infinities instead of turning them into null', async () => {
    assert.deepEqual(await ch.query('SELECT nan AS a, inf AS b, -inf AS c, toFloat32(0.5) AS d, [inf, 1.5] AS e, CAST(NULL AS Nullable(Float64)) AS f'), [
      { a: NaN, b: Infinity, c: -Infinity, d: 0.5, e: [Infinity, 1.5], f: null },
    ]);
  });

  it('creates, inserts and reads in a database given as an option, with settings', async () => {
    await ch.exec('CREATE DATABASE IF NOT EXISTS mxray_t');
    const db = new ClickhouseHttp({ url: server.url, database: 'mxray_t', settings: { max_threads: 2 } });
    await db.exec('CREATE TABLE t (a UInt32, b String) ENGINE = MergeTree() ORDER BY a');
    await db.insertTsv('t', ['a', 'b'], Buffer.from('1\tx\n2\ty\n'));
    await db.insertTsv('t', ['a', 'b'], Buffer.alloc(0)); // nothing to send
    assert.deepEqual(await db.query('SELECT a, b FROM t ORDER BY a'), [
      { a: 1, b: 'x' },
      { a: 2, b: 'y' },
    ]);
    const [s] = await db.query<{ v: string }>("SELECT value AS v FROM system.settings WHERE name = 'max_threads'", { settings: { max_threads: 3 } });
    assert.equal(s!.v, '3');
    const err = await rejection(db.insertTsv('t', ['a', 'b'], Buffer.from('oops\tx\n')));
    assert.equal(err.kind, 'server');
    assert.ok(err.code !== undefined);
  });

  it('sends credentials in headers, accepts them in the url, and keeps them out of error messages', async () => {
    const reader = new ClickhouseHttp({ url: server.url, user: 'mxray_reader', password });
    assert.deepEqual(await reader.query('SELECT 1 AS one'), [{ one: 1 }]);
    const inUrl = new ClickhouseHttp({ url: `http://mxray_reader:${encodeURIComponent(password)}@127.0.0.1:${server.httpPort}/` });
    assert.deepEqual(await inUrl.query('SELECT 2 AS two'), [{ two: 2 }]);
    // the server echoes the password (here: in a table name) in its error: it must not reach the message
    const err = await rejection(reader.query(sql`SELECT * FROM ${ident(`t_${password}`)}`));
    assert.equal(err.code, 60);
    assert.ok(!err.message.includes(password) && !err.message.includes('S3cr3t'), err.message);
    assert.ok(!String(err.stack).includes('S3cr3t'));
    const wrong = new ClickhouseHttp({ url: server.url, user: 'mxray_reader', password: 'wrong-pass' });
    const denied = await rejection(wrong.query('SELECT 1'));
    assert.equal(denied.kind, 'server');
    assert.ok(denied.code === 193 || denied.code === 516, `code ${denied.code}`);
    assert.ok(!denied.message.includes('wrong-pass') && !denied.message.includes('mxray_reader'), denied.message);
  });
});
