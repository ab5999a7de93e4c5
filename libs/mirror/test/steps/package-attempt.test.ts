import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { StorageError, StorageErrorCode } from '@condasync/storage';
import { MirrorError, MirrorErrorCode } from '../../src/errors.ts';
import { INTEGRITY_FAILURES_ALLOWED, judgeAttempt } from '../../src/steps/package-attempt.ts';

const task = { subdir: 'noarch', filename: 'a-1.0-0.conda' };
const first = { attempt: 1, maxAttempts: 4, integrityFailures: 0 };
const mismatch = () => new MirrorError(MirrorErrorCode.ChecksumMismatch, 'sha256 differs');

describe('judgeAttempt: the one retry policy of package copies', () => {
  test('a transient fault is retried until the attempts are spent', () => {
    const reset = new MirrorError(MirrorErrorCode.UpstreamHttp, 'connection reset', { transient: true });
    assert.deepEqual(
      [1, 2, 3, 4].map((attempt) => judgeAttempt(reset, task, { ...first, attempt }).final),
      [false, false, false, true],
    );
    assert.equal(judgeAttempt(reset, task, first).kind, 'transient');
  });

  test('a permanent fault ends at once', () => {
    const notFound = new MirrorError(MirrorErrorCode.UpstreamHttp, 'HTTP 404');
    const verdict = judgeAttempt(notFound, task, first);
    assert.equal(verdict.kind, 'permanent');
    assert.equal(verdict.final, true);
  });

  test('integrity failures have their own budget, counted across attempts', () => {
    assert.equal(INTEGRITY_FAILURES_ALLOWED, 2);
    const once = judgeAttempt(mismatch(), task, first);
    assert.deepEqual(
      [once.kind, once.final, once.integrityFailures, once.error.transient],
      ['integrity', false, 1, true],
    );
    // A transient fault in between does not reset the count.
    const between = judgeAttempt(
      new MirrorError(MirrorErrorCode.UpstreamTimeout, 'slow', { transient: true }),
      task,
      { attempt: 2, maxAttempts: 4, integrityFailures: once.integrityFailures },
    );
    assert.equal(between.integrityFailures, 1);
    const twice = judgeAttempt(mismatch(), task, { attempt: 3, maxAttempts: 4, integrityFailures: 1 });
    assert.deepEqual([twice.final, twice.integrityFailures, twice.error.transient], [true, 2, false]);
  });

  test('a store that rejects the bytes counts as an integrity failure; a store backend fault is transient', () => {
    const rejected = new StorageError(StorageErrorCode.ChecksumMismatch, 'sha256 mismatch');
    assert.equal(judgeAttempt(rejected, task, first).kind, 'integrity');
    const backend = new StorageError(StorageErrorCode.Backend, 'SlowDown');
    assert.equal(judgeAttempt(backend, task, first).kind, 'transient');
  });

  test('errors that are not ours are transient, named after the package; cancellation is its own kind', () => {
    const verdict = judgeAttempt(new Error('socket hang up'), task, first);
    assert.equal(verdict.kind, 'transient');
    assert.match(verdict.error.message, /^noarch\/a-1\.0-0\.conda: socket hang up/);
    const aborted = new StorageError(StorageErrorCode.Aborted, 'aborted');
    assert.equal(judgeAttempt(aborted, task, first).kind, 'cancelled');
  });
});
