/** What every role reads from its environment, and the one error type for its problems. */
export { EnvError, EnvErrorCode, type EnvProblem, portUnavailable } from './env-error.ts';
export {
  CHANNEL_TOKEN_RULE,
  EnvReader,
  type EnvSource,
  LOG_LEVEL_NAMES,
  type LogLevelName,
  MIN_SECRET_KEY_LENGTH,
} from './env-reader.ts';
export { redactUrlCredentials } from './redact.ts';
