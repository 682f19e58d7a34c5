import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMetrics, probeMetrics } from './metrics.js';

test('probe metrics: seconds to the microsecond (9.7 ms is 0.0097, not binary noise); expiry as a Unix time', async () => {
  const registry = createMetrics();
  const m = probeMetrics(registry);
  const at = '2026-12-01T00:00:00.000Z';
  m.set({ host: 'mx1', service: 'SMTP', instance: 'a', status: 'ok', durationMs: 9.7, certDaysLeft: 10, at });
  m.set({ host: 'mx1', service: 'SMTP', instance: 'b', status: 'critical', durationMs: 0.1234567, certDaysLeft: null, at });
  const text = await registry.metrics();
  assert.match(text, /^probe_duration_seconds\{host="mx1",service="SMTP",instance="a"\} 0\.0097$/m);
  assert.match(text, /^probe_duration_seconds\{host="mx1",service="SMTP",instance="b"\} 0\.000123$/m);
  assert.match(text, /^probe_success\{host="mx1",service="SMTP",instance="b"\} 0$/m);
  assert.match(text, new RegExp(`^probe_ssl_earliest_cert_expiry\\{host="mx1",service="SMTP",instance="a"\\} ${Date.parse(at) / 1000 + 10 * 86_400}$`, 'm'));
  assert.doesNotMatch(text, /probe_ssl_earliest_cert_expiry\{[^}]*instance="b"/);
});
