import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ConfigProblem, MirrorError, MirrorErrorCode } from '../../src/errors.ts';

export const CONFIG_FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'configs');

export function readConfigFixture(name: string): string {
  return readFileSync(join(CONFIG_FIXTURES, name), 'utf8');
}

/** Runs `action`, expects a CONFIG_INVALID MirrorError, and returns its details. */
export function configProblems(action: () => unknown): readonly ConfigProblem[] {
  try {
    action();
  } catch (error) {
    assert.ok(error instanceof MirrorError, `expected a MirrorError, got ${String(error)}`);
    assert.equal(error.code, MirrorErrorCode.ConfigInvalid);
    assert.ok(error.details.length > 0, 'a CONFIG_INVALID error lists its problems');
    return error.details;
  }
  assert.fail('expected the config to be rejected');
}

/** The one problem reported at `path`; fails when there is none or more than one. */
export function problemAt(problems: readonly ConfigProblem[], path: string): string {
  const matching = problems.filter((problem) => problem.path === path);
  assert.equal(
    matching.length,
    1,
    `expected one problem at '${path}', got: ${JSON.stringify(problems, null, 2)}`,
  );
  return matching[0]!.message;
}
