/** The demo's status line, from tallies. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shadowShare, statusLine, summaryLines } from '../../src/demo/status-line.ts';

const tally = { sent: 120, failed: 0, primary: 118, shadow: 61, lastShadowHost: 'httpbin.example.com-shadow' };

test('statusLine shows counts, the shadow share and the last shadow Host', () => {
  assert.equal(
    statusLine(tally),
    'sent 120 | primary 118 | shadow 61 (51.7%) | last shadow Host: httpbin.example.com-shadow',
  );
  assert.match(statusLine({ ...tally, failed: 2 }), / \| failed 2$/);
});

test('shadowShare before any primary request is a dash, not NaN', () => {
  assert.equal(shadowShare({ ...tally, primary: 0, shadow: 0 }), '-');
  assert.match(statusLine({ sent: 0, failed: 0, primary: 0, shadow: 0, lastShadowHost: null }), /shadow 0 \(-\) \| last shadow Host: -/);
});

test('summaryLines say whether the shadow saw anything', () => {
  assert.match(summaryLines(tally, 3)[1]!, /^shadow received 61 mirrored requests \(51\.7% of primary\); last Host: httpbin\.example\.com-shadow$/);
  assert.equal(summaryLines({ ...tally, shadow: 0 }, 3)[1], 'shadow received no mirrored requests');
});
