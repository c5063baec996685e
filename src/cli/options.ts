/** Parsers for numeric options: a bad value is a usage error (exit 2), reported by commander. */
import { InvalidArgumentError } from 'commander';

/** An integer >= 0, such as a byte count or a millisecond timeout. */
export function nonNegativeInteger(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(n) || n < 0) {
    throw new InvalidArgumentError('expected a whole number >= 0.');
  }
  return n;
}

/** A TCP port, 0..65535 (0 asks the OS for a free one). */
export function portNumber(value: string): number {
  const n = nonNegativeInteger(value);
  if (n > 65_535) throw new InvalidArgumentError('expected a port number 0..65535.');
  return n;
}

/** A percentage 0..100, fractions allowed (as Istio's `mirrorPercentage.value`). */
export function percentage(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 100) {
    throw new InvalidArgumentError('expected a percentage between 0 and 100.');
  }
  return n;
}

/** A number of seconds > 0, fractions allowed. */
export function positiveSeconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) {
    throw new InvalidArgumentError('expected a number of seconds > 0.');
  }
  return n;
}

/**
 * `--proxy-labels k=v,k2=v2`: the gateway workload's labels, as Kubernetes would put them on its pod
 * (`istio=ingressgateway`). Repeating the option adds to the previous labels.
 */
export function labelList(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const out = { ...previous };
  for (const entry of value.split(',')) {
    const item = entry.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq <= 0) throw new InvalidArgumentError(`expected KEY=VALUE[,KEY=VALUE...], got ${JSON.stringify(item)}.`);
    out[item.slice(0, eq).trim()] = item.slice(eq + 1).trim();
  }
  return out;
}

/** A Kubernetes namespace name (RFC 1123 label). */
export function namespaceName(value: string): string {
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(value)) {
    throw new InvalidArgumentError('expected a Kubernetes namespace name (lower-case letters, digits and -).');
  }
  return value;
}

/** A number of seconds >= 0, fractions allowed; 0 turns the timeout off. */
export function nonNegativeSeconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw new InvalidArgumentError('expected a number of seconds >= 0 (0 disables it).');
  }
  return n;
}

/** `HOST:PORT` or `[V6]:PORT`, a listener address (`--mesh-listener`). */
export function hostPort(value: string): { address: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value.trim());
  const port = match === null ? NaN : Number(match[3]);
  if (match === null || port > 65_535) throw new InvalidArgumentError('expected HOST:PORT, e.g. 127.0.0.1:15001.');
  return { address: match[1] ?? match[2]!, port };
}

/** `--max-config-file-bytes`, shared by the commands that read config. */
export const MAX_CONFIG_FILE_BYTES_FLAG = '--max-config-file-bytes <n>';
export const MAX_CONFIG_FILE_BYTES_HELP = 'refuse a config file larger than this many bytes (default: 33554432, 32 MiB)';
