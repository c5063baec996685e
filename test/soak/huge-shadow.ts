/**
 * What a shadow answering huge bodies costs the primary, with and without the response bound:
 * steady primary load through an in-process gateway mirroring 100% to a shadow process that streams
 * 50 MiB per answer, against the same with a healthy shadow. Variants run interleaved, round after
 * round, so a machine whose speed drifts compares them under the same conditions.
 *
 *   node test/soak/huge-shadow.ts [--seconds 8] [--rounds 2]
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Gateway } from '../../src/gateway.ts';
import { compileYaml, mirrorConfig } from '../integration/harness.ts';
import { checkedLoad, steadyPrimary } from '../support/checked-load.ts';
import type { ShadowPhase } from './soak.ts';

interface Variant {
  readonly name: string;
  readonly phase: ShadowPhase;
  readonly maxResponseBytes: number;
}

const VARIANTS: readonly Variant[] = [
  { name: 'healthy shadow', phase: 'healthy', maxResponseBytes: 1024 * 1024 },
  { name: 'huge body, no bound', phase: 'huge-body', maxResponseBytes: Number.MAX_SAFE_INTEGER },
  { name: 'huge body, 1 MiB bound (default)', phase: 'huge-body', maxResponseBytes: 1024 * 1024 },
  { name: 'huge body, 64 KiB bound', phase: 'huge-body', maxResponseBytes: 64 * 1024 },
];

const { values } = parseArgs({ options: { seconds: { type: 'string' }, rounds: { type: 'string' } } });
const seconds = Number(values.seconds ?? 8);
const rounds = Number(values.rounds ?? 2);

const shadow = fork(fileURLToPath(new URL('./cycling-shadow.ts', import.meta.url)), ['2000', String(50 * 1024 * 1024)], {
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
const tell = (phase: ShadowPhase) =>
  new Promise<number>((resolve) => {
    shadow.once('message', (reply) => resolve((reply as { port: number }).port));
    shadow.send({ phase });
  });
const shadowPort = await tell('healthy');
const primary = await steadyPrimary();
const results = new Map<string, { requests: number; failures: number; maxLatencyMs: number; cpuS: number }[]>();

for (let round = 0; round < rounds; round++) {
  for (const variant of VARIANTS) {
    await tell(variant.phase);
    const snapshot = await compileYaml(mirrorConfig(primary.port, shadowPort, 'mirror: { host: httpbin-next, port: { number: 80 } }'), {
      mirror: { maxResponseBytes: variant.maxResponseBytes },
    });
    const gateway = await Gateway.start(snapshot);
    const url = `http://127.0.0.1:${gateway.addresses()[0]!.port}`;
    const cpu = process.cpuUsage();
    const load = await checkedLoad({ url, host: 'httpbin', concurrency: 8, durationMs: seconds * 1000 });
    const used = process.cpuUsage(cpu);
    await gateway.close(0);
    const row = { requests: load.requests, failures: load.failures, maxLatencyMs: load.maxLatencyMs, cpuS: (used.user + used.system) / 1e6 };
    results.set(variant.name, [...(results.get(variant.name) ?? []), row]);
    console.log(`round ${round + 1}  ${variant.name.padEnd(34)} ${String(load.requests).padStart(7)} requests in ${seconds} s, ${load.failures} failures, slowest ${load.maxLatencyMs.toFixed(0)} ms, this process ${row.cpuS.toFixed(1)} CPU s`);
  }
}

console.log(`\n| shadow | primary requests per ${seconds} s (each round) | failures | CPU ms per request (gateway + load + primary) |`);
console.log('| --- | --- | --- | --- |');
for (const [name, rows] of results) {
  const cpuPerRequest = rows.map((r) => ((1000 * r.cpuS) / Math.max(1, r.requests)).toFixed(2)).join(', ');
  console.log(`| ${name} | ${rows.map((r) => r.requests).join(', ')} | ${rows.reduce((s, r) => s + r.failures, 0)} | ${cpuPerRequest} |`);
}
await primary.close();
shadow.kill('SIGTERM');
