// The small pieces of the ActiveSync reports that need no store: the header line that says which
// logs were counted, policy names, count texts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compliance, logsLine, sortedCounts, topText } from './reports.js';

test('the header line names the logs seen and the rule applied', () => {
  assert.equal(
    logsLine({ frontEndLines: 12243, backEndLines: 12209, logLines: 12209, counted: 'front-end' }),
    'logs seen: 12,243 front-end EAS lines, 12,209 back-end (/Proxy/) lines, 12,209 with Log=\n' +
      'counted: the front-end lines, each request once (the back-end twins are ignored); Log= values (items, errors, policy, OOF, model) from the lines that carry one\n',
  );
  assert.match(logsLine({ frontEndLines: 500, backEndLines: 0, logLines: 500, counted: 'front-end' }), /counted: the front-end lines \(no back-end logs\)/);
  assert.match(
    logsLine({ frontEndLines: 0, backEndLines: 70, logLines: 70, counted: 'back-end' }),
    /counted: the back-end lines \(no front-end logs in the range\)/,
  );
  assert.equal(logsLine({ frontEndLines: 0, backEndLines: 0, logLines: 0, counted: 'none' }), 'logs seen: no ActiveSync request in the selected range\n');
});

test("policy acknowledgement → Export-ActiveSyncLog's compliance names; 0 and none are Unknown", () => {
  assert.deepEqual([1, 2, 3, 0, null, 7].map(compliance), ['Compliant', 'Partially Compliant', 'Not Compliant', 'Unknown', 'Unknown', 'Unknown']);
});

test('counts: largest first, ties by name; the top n as text', () => {
  assert.deepEqual(Object.entries(sortedCounts({ Sync: 5, Ping: 9, FolderSync: 5 })), [
    ['Ping', 9],
    ['FolderSync', 5],
    ['Sync', 5],
  ]);
  assert.equal(topText({ Sync: 3120, Ping: 4, FolderSync: 260, Search: 1 }), 'Sync 3,120, FolderSync 260, Ping 4, +1 more');
  assert.equal(topText({}), '');
});
