/** Closed set of codes of EnvError. */
export const EnvErrorCode = {
  /** One or more variables are missing or malformed; `problems` lists every one. */
  Invalid: 'ENV_INVALID',
  /** A port the environment names cannot be listened on (in use, or not allowed). */
  PortUnavailable: 'PORT_UNAVAILABLE',
} as const;
export type EnvErrorCode = (typeof EnvErrorCode)[keyof typeof EnvErrorCode];

/** One problem with one variable. The message never holds a secret value. */
export interface EnvProblem {
  variable: string;
  message: string;
}

/**
 * The one error type for a role's environment (api, worker, cli alike): every problem at once,
 * each under the variable to change. Start-up code prints the problems and exits 2, no stack.
 */
export class EnvError extends Error {
  readonly code: EnvErrorCode;
  readonly problems: readonly EnvProblem[];
  constructor(code: EnvErrorCode, problems: EnvProblem[], options?: { cause?: unknown }) {
    const what = code === EnvErrorCode.Invalid ? 'invalid environment' : 'cannot listen';
    super(
      `${what}: ${problems.map((p) => `${p.variable} ${p.message}`).join('; ')}`,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'EnvError';
    this.code = code;
    this.problems = Object.freeze(problems.map((problem) => Object.freeze({ ...problem })));
  }
}

/** The EnvError for a listen() that failed on the port `variable` names (EADDRINUSE, EACCES…). */
export function portUnavailable(variable: string, host: string, port: number, error: unknown): EnvError {
  const code = (error as { code?: string }).code;
  const why =
    code === 'EADDRINUSE'
      ? 'is already in use'
      : code === 'EACCES'
        ? 'needs privileges this process does not have'
        : `cannot be listened on (${code ?? (error as Error).message})`;
  return new EnvError(EnvErrorCode.PortUnavailable, [{ variable, message: `${port} on ${host} ${why}` }], {
    cause: error,
  });
}
