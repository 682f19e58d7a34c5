// The store URL: every option, credentials from the URL, the environment or a file, and the errors
// (which never show a password). No server needed.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseStoreUrl } from './url.js';

describe('clickhouse:// store URL', () => {
  it('reads host, port, database and the defaults', () => {
    const u = parseStoreUrl('clickhouse://ch1.corp:8123/mxray', {});
    assert.equal(u.httpUrl, 'http://ch1.corp:8123');
    assert.equal(u.database, 'mxray');
    assert.equal(u.cluster, undefined);
    assert.equal(u.partial, false);
    assert.equal(u.timeoutMs, 300_000);
    assert.equal(u.retries, 3);
    assert.equal(u.location, 'clickhouse://ch1.corp:8123/mxray');
    assert.equal(parseStoreUrl('clickhouse://ch1/mxray', {}).port, 8123);
    assert.equal(parseStoreUrl('clickhouse://ch1/mxray?secure=1', {}).httpUrl, 'https://ch1:8443');
    assert.equal(parseStoreUrl('clickhouse://[::1]:9123/mxray/', {}).httpUrl, 'http://[::1]:9123');
  });

  it('reads the cluster options', () => {
    const u = parseStoreUrl('clickhouse://ch1:8123/mx?cluster=mx_2&partial=1&shards=ch1:8123,10.0.0.2:18123&timeout=5&retries=0&backoff_ms=20', {});
    assert.equal(u.cluster, 'mx_2');
    assert.equal(u.partial, true);
    assert.deepEqual(u.shards, ['ch1:8123', '10.0.0.2:18123']);
    assert.equal(u.timeoutMs, 5000);
    assert.equal(u.retries, 0);
    assert.equal(u.backoffMs, 20);
    assert.equal(u.location, 'clickhouse://ch1:8123/mx?cluster=mx_2&partial=1&shards=ch1:8123,10.0.0.2:18123&timeout=5&retries=0&backoff_ms=20');
  });

  it('takes credentials from the URL, else the environment, else a password file; location never has them', () => {
    const env = { MXRAY_CLICKHOUSE_USER: 'envuser', MXRAY_CLICKHOUSE_PASSWORD: 'envpw' };
    const fromUrl = parseStoreUrl("clickhouse://mx:p%40ss'w@ch1:8123/db", env);
    assert.deepEqual([fromUrl.user, fromUrl.password], ['mx', "p@ss'w"]);
    assert.equal(fromUrl.location, 'clickhouse://ch1:8123/db');
    const fromEnv = parseStoreUrl('clickhouse://ch1:8123/db', env);
    assert.deepEqual([fromEnv.user, fromEnv.password], ['envuser', 'envpw']);
    const file = join(mkdtempSync(join(tmpdir(), 'mxray-url-')), 'pw');
    writeFileSync(file, 's3cret\n');
    const fromFile = parseStoreUrl('clickhouse://ch1:8123/db', { MXRAY_CLICKHOUSE_USER: 'u', MXRAY_CLICKHOUSE_PASSWORD_FILE: file });
    assert.deepEqual([fromFile.user, fromFile.password], ['u', 's3cret']);
    assert.throws(() => parseStoreUrl('clickhouse://ch1:8123/db', { MXRAY_CLICKHOUSE_PASSWORD: 'a', MXRAY_CLICKHOUSE_PASSWORD_FILE: file }), /both set/);
    assert.throws(() => parseStoreUrl('clickhouse://ch1:8123/db', { MXRAY_CLICKHOUSE_PASSWORD_FILE: file + '.missing' }), /cannot read .*ENOENT/);
    const none = parseStoreUrl('clickhouse://ch1:8123/db', {});
    assert.deepEqual([none.user, none.password], [undefined, undefined]);
  });

  it('says what is wrong, and never shows the password', () => {
    const bad: [string, RegExp][] = [
      ['clickhouse://ch1:8123/', /names no database/],
      ['clickhouse://ch1:8123/a/b', /holds a "\/"/],
      ['http://ch1:8123/db', /not a clickhouse:\/\/ URL/],
      ['clickhouse://ch1:8123/db?clustr=x', /unknown option "clustr"; known options: cluster, secure/],
      ['clickhouse://ch1:8123/db?cluster=a&cluster=b', /given twice/],
      ['clickhouse://ch1:8123/db?secure=maybe', /secure=maybe: expected 1 or 0/],
      ['clickhouse://ch1:8123/db?timeout=-1', /timeout=-1: expected a whole number/],
      ['clickhouse://ch1:8123/db?shards=a:1', /only meaningful with cluster=NAME/],
      ['clickhouse://ch1:8123/db?partial=1', /only meaningful with cluster=NAME/],
      ['clickhouse://ch1:8123/db?cluster=x&shards=nohost', /"nohost" is not host:port/],
      ['clickhouse://ch1:8123/db?cluster=x%27y', /expected a cluster name/],
    ];
    for (const [url, re] of bad) assert.throws(() => parseStoreUrl(url, {}), re, url);
    assert.throws(
      () => parseStoreUrl('clickhouse://u:topsecret@ch1:8123/db?nope=1', {}),
      (e: Error) => !e.message.includes('topsecret'),
    );
    assert.throws(
      () => parseStoreUrl('clickhouse://u:topsecret@/db', {}),
      (e: Error) => !e.message.includes('topsecret'),
    );
  });
});
