import { LOG_LEVEL_ALIASES } from '@condasync/mirror';
import type { LogLevel } from '../logging.ts';
import { UsageError } from './exit-codes.ts';

/** `-l/--log-level`: pino names, or cas-sync's Python names and numbers (CRITICAL, WARNING, 10–50). */
export function parseLogLevelFlag(flag: string): LogLevel {
  const level = LOG_LEVEL_ALIASES[flag.trim().toUpperCase()];
  if (level === undefined) {
    throw new UsageError(
      `unknown log level "${flag}"; expected one of trace, debug, info, warn, error, critical (or 10-50)`,
    );
  }
  return level;
}
