/** The CLI's exit codes: scripts and CI branch on these, so they never change meaning. */
export const ExitCode = {
  /** Success; also a clean shutdown on SIGINT/SIGTERM. */
  ok: 0,
  /** The configuration has errors (`validate`, or `run` refusing to start). */
  invalidConfig: 1,
  /** The command line itself is wrong: unknown command or option, bad option value. */
  usage: 2,
  /** Something failed at runtime, e.g. a listener could not bind its port. */
  runtimeFailure: 3,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Appended to every command's `--help`. */
export const EXIT_CODES_HELP = `
Exit codes:
  0  ok (including a clean stop on Ctrl-C / SIGTERM)
  1  invalid configuration
  2  usage error (unknown command or option, bad option value)
  3  runtime failure (e.g. a listener could not bind its port)`;
