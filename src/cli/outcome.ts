/** What a command invocation ended with; commander actions cannot return a value, so they set this. */
import { ExitCode } from './exit-codes.ts';

export interface Outcome {
  code: ExitCode;
}

export function newOutcome(): Outcome {
  return { code: ExitCode.ok };
}

/** A message for an unexpected failure: the error's message, plus its code when it has one. */
export function failureText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
}
