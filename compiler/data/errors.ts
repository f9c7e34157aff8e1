/**
 * Error raised for bad data on disk or bad arguments to the data/metrics helpers.
 * The message always names the file (or argument) and what is wrong with it, so the CLI
 * can print it as-is instead of a stack trace.
 */
export class DataError extends Error {
  override readonly name = "DataError";
}

/** Error message of an unknown thrown value, for wrapping library errors with context. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
