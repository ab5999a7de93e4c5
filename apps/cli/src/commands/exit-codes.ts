/** Process exit codes of the CLI; documented in `condasync sync --help` and the README. */
export const ExitCode = {
  Ok: 0,
  /** Some packages failed; everything else was published. */
  Partial: 1,
  Usage: 2,
  Failed: 3,
  /** `condasync import`: the bundle failed verification or does not apply here; nothing was published. */
  Refused: 4,
} as const;

/** A mistake in how the command was called; printed without a stack trace, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
