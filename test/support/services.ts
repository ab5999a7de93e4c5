// The servers that scripts/test.sh (`npm test`) starts for the tests, read from the environment
// in this one place so test files never touch process.env themselves.

const HOW_TO_RUN = 'run the suite with `npm test` (scripts/test.sh starts the servers and exports it)';

function requireEnv(name: string, what: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(`${name} is not set, so the tests cannot reach ${what}: ${HOW_TO_RUN}`);
  }
  return value;
}

/** `redis://127.0.0.1:PORT` of a Redis with AOF and `maxmemory-policy noeviction`. */
export function testRedisUrl(): string {
  return requireEnv('CONDASYNC_TEST_REDIS_URL', 'Redis');
}

/** `http://127.0.0.1:PORT` of an S3-compatible server (moto) with path-style addressing. */
export function testS3Endpoint(): string {
  return requireEnv('CONDASYNC_TEST_S3_ENDPOINT', 'the S3 server');
}

/** Absolute path of the venv Python with moto, conda-package-handling, conda-index, py-rattler. */
export function testPython(): string {
  return requireEnv('CONDASYNC_TEST_PYTHON', 'the Python test tools');
}

/** moto accepts any credentials; these are the ones the tests use. */
export const testS3Credentials = {
  region: 'us-east-1',
  accessKeyId: 'condasync-test',
  secretAccessKey: 'condasync-test-secret',
} as const;

let uniqueCounter = 0;

/**
 * A name no other test (or test process) uses: for queue names, bucket names, key prefixes.
 * Lowercase letters, digits and dashes only, so it is valid as an S3 bucket name and has no ':'.
 */
export function uniqueTestName(prefix: string): string {
  uniqueCounter += 1;
  const random = Math.random().toString(36).slice(2, 8);
  return `${prefix}-${process.pid}-${uniqueCounter}-${random}`.toLowerCase().slice(0, 63);
}

/** CONDASYNC_SECRET_KEY of the tests' API and worker processes: stored configs are sealed with it. */
export const TEST_SECRET_KEY = 'test-secret-key-0123456789abcdef-0123456789';
