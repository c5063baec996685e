/**
 * Polls a condition until it holds: tests wait on what they expect to see, never on a fixed sleep
 * (a shadow request is fire-and-forget, so "the mirror got it" can only be observed eventually).
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitForOptions {
  /** Give up after this long. Defaults to 5 seconds. */
  readonly timeoutMs?: number;
  /** Time between polls. Defaults to 10 ms. */
  readonly intervalMs?: number;
  /** Said in the timeout error, e.g. "shadow received 10 requests". */
  readonly description?: string;
}

/** Error thrown when the condition did not hold in time; `lastValue` is the condition's last result. */
export class WaitForTimeoutError extends Error {
  readonly code = 'WAIT_FOR_TIMEOUT';
  readonly lastValue: unknown;
  constructor(message: string, lastValue: unknown) {
    super(message);
    this.name = 'WaitForTimeoutError';
    this.lastValue = lastValue;
  }
}

/**
 * Resolves with the condition's first truthy result. A condition that throws counts as not yet true
 * (e.g. a connection refused while a server starts); the last error is reported on timeout.
 */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  options: WaitForOptions = {},
): Promise<NonNullable<T>> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const intervalMs = options.intervalMs ?? 10;
  const deadline = performance.now() + timeoutMs;
  let lastValue: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value as NonNullable<T>;
      lastValue = value;
    } catch (error) {
      lastValue = error;
    }
    if (performance.now() >= deadline) {
      const what = options.description ?? condition.toString();
      throw new WaitForTimeoutError(
        `waitFor timed out after ${timeoutMs} ms: ${what} (last value: ${describe(lastValue)})`,
        lastValue,
      );
    }
    await sleep(intervalMs);
  }
}

function describe(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
