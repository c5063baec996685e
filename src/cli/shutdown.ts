/**
 * Turns SIGINT/SIGTERM into an AbortSignal, so the commands stop the same way whether a user pressed
 * Ctrl-C, a supervisor sent SIGTERM, or `--duration` ran out.
 */

/** Exit status after a second signal: the user asked twice, so stop at once (128 + SIGINT). */
const FORCED_EXIT_CODE = 130;

export interface ShutdownSignal {
  /** Aborts on the first SIGINT or SIGTERM; its reason is the signal name. */
  readonly signal: AbortSignal;
  /** Removes the handlers; call once shutdown has finished. */
  dispose(): void;
}

/**
 * The first signal aborts `signal`, letting the command close in-flight work; a second one exits the
 * process immediately, in case closing hangs.
 */
export function onShutdownSignal(): ShutdownSignal {
  const controller = new AbortController();
  const handler = (name: NodeJS.Signals): void => {
    if (controller.signal.aborted) process.exit(FORCED_EXIT_CODE);
    controller.abort(name);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

/** Resolves when `signal` aborts. */
export function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
