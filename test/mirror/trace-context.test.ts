import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { markTraceUnsampled } from '../../src/mirror/trace-context.ts';
import type { HeaderMap } from '../../src/dataplane/headers.ts';

function unsampled(headers: HeaderMap): HeaderMap {
  const copy = { ...headers };
  markTraceUnsampled(copy);
  return copy;
}

describe('a copy\'s trace context is marked not sampled', () => {
  test('W3C traceparent: the sampled bit is cleared, ids and other flags kept', () => {
    const id = '0af7651916cd43dd8448eb211c80319c';
    assert.equal(unsampled({ traceparent: `00-${id}-b7ad6b7169203331-01` }).traceparent, `00-${id}-b7ad6b7169203331-00`);
    assert.equal(unsampled({ traceparent: `00-${id}-b7ad6b7169203331-03` }).traceparent, `00-${id}-b7ad6b7169203331-02`);
    assert.equal(unsampled({ traceparent: `00-${id}-b7ad6b7169203331-00` }).traceparent, `00-${id}-b7ad6b7169203331-00`);
    assert.equal(unsampled({ traceparent: 'garbage' }).traceparent, 'garbage', 'an invalid value is left alone');
  });

  test('B3 multi-header: x-b3-sampled 0, and the debug flag removed', () => {
    const out = unsampled({ 'x-b3-traceid': 'a', 'x-b3-spanid': 'b', 'x-b3-sampled': '1', 'x-b3-flags': '1' });
    assert.equal(out['x-b3-sampled'], '0');
    assert.equal(out['x-b3-flags'], undefined);
    assert.equal(out['x-b3-traceid'], 'a');
  });

  test('B3 single header: every form', () => {
    assert.equal(unsampled({ b3: '80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90' }).b3, '80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-0-05e3ac9a4f6e3b90');
    assert.equal(unsampled({ b3: '80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-d' }).b3, '80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-0');
    assert.equal(unsampled({ b3: '80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1' }).b3, '80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-0');
    assert.equal(unsampled({ b3: '1' }).b3, '0');
  });

  test('a request without trace context gets none', () => {
    assert.deepEqual(unsampled({ host: 'a' }), { host: 'a' });
  });
});
