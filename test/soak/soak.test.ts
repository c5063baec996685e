/**
 * The soak's 60-second variant (`npm run soak` runs 10 minutes): one cycle of 15-second shadow phases
 * (healthy, slow, huge body, dead) under steady primary load through `shadowgate run`. Zero primary
 * failures, mirror counters that add up, and RSS and descriptors not growing past generous margins.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runSoak } from './soak.ts';

const MiB = 1024 * 1024;

test('soak, 60 s: a cycling shadow costs the primary nothing and leaves nothing behind', { timeout: 180_000 }, async () => {
  const lines: string[] = [];
  // Two loops, not the full soak's eight: this runs beside the rest of the suite on a small machine.
  const report = await runSoak({ durationS: 60, phaseS: 15, concurrency: 2, log: (line) => lines.push(line) });
  const transcript = lines.join('\n');
  assert.equal(report.failures, 0, `primary failures: ${report.failureSamples.join('; ')}\n${transcript}`);
  assert.ok(report.requests > 100, `load went through (${report.requests})`);
  const m = report.mirror;
  assert.equal(m.sampled, report.requests, '100% mirroring');
  assert.equal(m.completed + m.failed + m.dropped + m.inFlight, m.sampled, transcript);
  assert.ok((m.byReason.droppedResponseTooLarge ?? 0) > 0, `the huge-body phase was cut at the bound\n${transcript}`);
  assert.ok((m.byReason.failedConnect ?? 0) + (m.byReason.droppedEjected ?? 0) > 0, `the dead phase was counted\n${transcript}`);
  assert.ok(report.after.fds <= report.before.fds + 20, transcript);
  assert.ok(report.after.rssBytes <= report.firstCyclePeakRssBytes + 64 * MiB, transcript);
  assert.deepEqual(report.problems, [], transcript);
});
