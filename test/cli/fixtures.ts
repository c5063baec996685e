/** Config texts for the CLI tests: the demo's config (known good) and small broken variants of it. */
import { demoConfigYaml, type DemoConfigValues } from '../../src/demo/demo-config.ts';

/** A valid config: the demo's, with ports the test chooses (the gateway on port 0 by default). */
export function validConfig(values: Partial<DemoConfigValues> = {}): string {
  return demoConfigYaml({ gatewayPort: 0, primaryPort: 9, shadowPort: 9, percentage: 50, ...values });
}

/**
 * The demo config with the VirtualService pointing at a subset no DestinationRule defines; the error is
 * on the `subset: v2` line of the first route's destination.
 */
export function configWithUnknownSubset(): { yaml: string; line: number } {
  const lines = validConfig().split('\n');
  const vsStart = lines.findIndex((l) => l === 'kind: VirtualService');
  const subsetLine = lines.findIndex((l, i) => i > vsStart && l.trim() === 'subset: v1');
  lines[subsetLine] = lines[subsetLine]!.replace('v1', 'v2');
  return { yaml: lines.join('\n'), line: subsetLine + 1 };
}
