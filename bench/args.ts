/** Command-line values shared by the bench scripts. */

/** `--name N` as a whole number of at least 1, or an error that says which option and what it got. */
export function positiveInt(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} expects a whole number >= 1, got ${JSON.stringify(text)}`);
  return n;
}
