import { type StoreSettings, storageUrlProblem } from '@condasync/storage';
import { EnvError, EnvErrorCode, type EnvProblem } from './env-error.ts';
import { redactUrlCredentials } from './redact.ts';

/** An environment to read: `process.env` in a role, a plain object in tests. */
export type EnvSource = Readonly<Record<string, string | undefined>>;

/** pino's level names (and `silent`), what CONDASYNC_LOG_LEVEL takes in every role. */
export const LOG_LEVEL_NAMES = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevelName = (typeof LOG_LEVEL_NAMES)[number];

/** Shorter secret keys are guessable; `openssl rand -hex 32` gives 64 characters. */
export const MIN_SECRET_KEY_LENGTH = 32;

/**
 * Reads one role's environment. Each method reads one variable (or one group), notes any problem
 * under the variable's name and returns a usable fallback, so that `finish()` can report every
 * problem at once. Values of secret variables are never put in a problem.
 */
/** Channel tokens travel in URLs, so they are limited to what conda's token regex accepts. */
export const CHANNEL_TOKEN_RULE = Object.freeze({
  pattern: /^[A-Za-z0-9-]+$/,
  what: "letters, digits and '-' (what conda accepts in /t/<token>/ URLs)",
  minLength: 16,
});

export class EnvReader {
  readonly #env: EnvSource;
  readonly #problems: EnvProblem[] = [];

  constructor(env: EnvSource) {
    this.#env = env;
  }

  /** The trimmed value, or undefined when the variable is unset or blank. */
  text(variable: string): string | undefined {
    const value = this.#env[variable]?.trim();
    return value === undefined || value === '' ? undefined : value;
  }

  report(variable: string, message: string): void {
    this.#problems.push({ variable, message });
  }

  /** A comma-separated list, entries trimmed, blanks dropped. */
  list(variable: string): string[] {
    return (this.#env[variable] ?? '')
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '');
  }

  integer(variable: string, fallback: number, min: number, max: number): number {
    const raw = this.text(variable);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      this.report(variable, `'${raw}' is not an integer from ${min} to ${max}`);
      return fallback;
    }
    return Number(raw);
  }

  /** A TCP port to listen on; 0 lets the system pick a free one. */
  port(variable: string, fallback: number): number {
    return this.integer(variable, fallback, 0, 65_535);
  }

  oneOf<const T extends string>(variable: string, allowed: readonly T[], fallback: T): T {
    const raw = this.text(variable)?.toLowerCase();
    if (raw === undefined) return fallback;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    this.report(variable, `'${raw}' is not one of ${allowed.join(', ')}`);
    return fallback;
  }

  logLevel(variable = 'CONDASYNC_LOG_LEVEL', fallback: LogLevelName = 'info'): LogLevelName {
    return this.oneOf(variable, LOG_LEVEL_NAMES, fallback);
  }

  /**
   * Secret tokens, comma-separated. A bad entry is named by its position and why, never by its
   * value. Shorter than `minLength` is refused: a deployment that sets tokens wants real ones.
   */
  tokens(variable: string, rule: { pattern: RegExp; what: string; minLength: number }): string[] {
    const values = this.list(variable);
    values.forEach((token, index) => {
      if (!rule.pattern.test(token))
        this.report(variable, `entry ${index + 1} has characters outside ${rule.what}`);
      else if (token.length < rule.minLength) {
        this.report(
          variable,
          `entry ${index + 1} is ${token.length} characters long, at least ${rule.minLength}`,
        );
      }
    });
    return values;
  }

  /** CONDASYNC_REDIS_URL: `redis://` or `rediss://`; null when unset and not required. */
  redisUrl(options: {
    required: boolean;
    /** A fuller check (libs/queue's redisUrlProblem also accepts redis+sentinel://); null = fine. */
    problem?: (url: string) => string | null;
  }): string | null {
    const variable = 'CONDASYNC_REDIS_URL';
    const url = this.text(variable);
    if (url === undefined) {
      if (options.required) this.report(variable, 'is required (redis://host:6379 or rediss://…)');
      return null;
    }
    if (options.problem !== undefined) {
      const problem = options.problem(url);
      if (problem !== null) this.report(variable, problem);
    } else if (!/^rediss?:\/\/[^/]/.test(url) || !URL.canParse(url)) {
      this.report(variable, `'${redactUrlCredentials(url)}' is not a redis:// or rediss:// URL`);
    }
    return url;
  }

  /**
   * CONDASYNC_STORAGE_URL with CONDASYNC_S3_ENDPOINT and CONDASYNC_S3_REGION, checked as
   * libs/storage will open them; null when the URL is unset and not required.
   */
  store(options: { required: boolean }): StoreSettings | null {
    const url = this.text('CONDASYNC_STORAGE_URL');
    if (url === undefined) {
      if (options.required) {
        this.report('CONDASYNC_STORAGE_URL', 'is required (file:///absolute/path or s3://bucket/prefix)');
      }
    } else {
      const problem = storageUrlProblem(url);
      if (problem !== null) this.report('CONDASYNC_STORAGE_URL', problem);
    }
    const s3Endpoint = this.text('CONDASYNC_S3_ENDPOINT') ?? null;
    if (s3Endpoint !== null && (!/^https?:\/\/[^/]/.test(s3Endpoint) || !URL.canParse(s3Endpoint))) {
      this.report('CONDASYNC_S3_ENDPOINT', `'${redactUrlCredentials(s3Endpoint)}' is not an http(s) URL`);
    }
    const s3Region = this.text('CONDASYNC_S3_REGION') ?? null;
    if (s3Region !== null && !/^[A-Za-z0-9._-]{1,64}$/.test(s3Region)) {
      this.report('CONDASYNC_S3_REGION', `'${s3Region}' is not a region name (e.g. us-east-1)`);
    }
    return url === undefined ? null : { url, s3Endpoint, s3Region };
  }

  /** CONDASYNC_QUEUE_PREFIX: the namespace of the BullMQ keys and the sync registry; null for the default. */
  queuePrefix(): string | null {
    const prefix = this.text('CONDASYNC_QUEUE_PREFIX') ?? null;
    if (prefix !== null && !/^[A-Za-z0-9_-]{1,64}$/.test(prefix)) {
      this.report('CONDASYNC_QUEUE_PREFIX', `'${prefix}' is not 1 to 64 letters, digits, '_' or '-'`);
    }
    return prefix;
  }

  /**
   * CONDASYNC_SECRET_KEY: what the API and the workers seal stored sync configs (and the upstream
   * tokens in them) with; null when unset. Never echoed.
   */
  secretKey(): string | null {
    const variable = 'CONDASYNC_SECRET_KEY';
    const key = this.text(variable) ?? null;
    if (key !== null && key.length < MIN_SECRET_KEY_LENGTH) {
      this.report(
        variable,
        `is ${key.length} characters long, at least ${MIN_SECRET_KEY_LENGTH} (e.g. openssl rand -hex 32)`,
      );
    }
    return key;
  }

  /** Throws one EnvError listing every problem noted so far. */
  finish(): void {
    if (this.#problems.length > 0) throw new EnvError(EnvErrorCode.Invalid, [...this.#problems]);
  }
}
