import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseSyncConfig, resolveSyncConfig } from '../../src/config/index.ts';
import { closestMatch } from '../../src/config/suggest.ts';

// The documented bounds (schema-problems.ts, suggest.ts), written out so that this file still
// runs, and fails, against code without them.
const MAX_REPORTED_PROBLEMS = 50;
const MAX_SUGGESTED_WORD_LENGTH = 64;

import { MirrorError } from '../../src/errors.ts';

function rejection(raw: unknown): MirrorError {
  try {
    resolveSyncConfig(raw);
  } catch (error) {
    assert.ok(error instanceof MirrorError);
    return error;
  }
  assert.fail('the config was accepted');
}

describe('configs built to cost the validator', () => {
  test('a 250 000-character unknown key gets a short message and no suggestion work', () => {
    const key = `dest_channel${'x'.repeat(250_000)}`;
    const error = rejection({ [key]: 'a' });
    assert.equal(error.details.length, 1);
    const [problem] = error.details;
    assert.ok(problem !== undefined);
    assert.ok(problem.message.length < 200, `message of ${problem.message.length} characters`);
    assert.ok(problem.path.length < 100, `path of ${problem.path.length} characters`);
    assert.match(problem.message, /unknown key 'dest_channelx+\.\.\. \(250012 characters\)'/);
    assert.ok(error.message.length < 500);
  });

  test('edit distances are only computed for words of plausible length', () => {
    // A near miss just over the bound is not compared at all, so it gets no suggestion.
    const long = 'a'.repeat(MAX_SUGGESTED_WORD_LENGTH);
    assert.equal(closestMatch(`${long}b`, [`${long}c`]), null);
    assert.equal(closestMatch(long.slice(1), [long]), long);
    // Candidates whose length alone rules them out are skipped.
    assert.equal(closestMatch('blacklst', ['blacklist', 'x'.repeat(10_000)]), 'blacklist');
  });

  test('20 000 unknown keys: a bounded list of problems and a bounded message', () => {
    const raw: Record<string, string> = {};
    for (let i = 0; i < 20_000; i++) raw[`unknown_key_${i}`] = 'v';
    const error = rejection(raw);
    assert.equal(error.details.length, MAX_REPORTED_PROBLEMS);
    assert.match(error.message, /^invalid sync config: 20000 problems/);
    assert.match(error.details.at(-1)?.message ?? '', /^19951 more problems not listed/);
    assert.ok(error.message.length < 10_000, `message of ${error.message.length} characters`);
    assert.equal(error.details[0]?.path, 'unknown_key_0', 'still in file order');
  });

  test('__proto__ and constructor as keys are plain unknown keys', () => {
    for (const text of ['constructor: 1\n', '__proto__: 1\n', 'toString: 1\n', 'hasOwnProperty: 1\n']) {
      let message = '';
      try {
        parseSyncConfig(text);
      } catch (error) {
        message = (error as Error).message;
      }
      const key = text.split(':')[0];
      assert.match(message, new RegExp(`unknown key '${key}'`), text);
      assert.doesNotMatch(message, /native code|function|\[object|environment variable/, text);
    }
    const error = rejection(JSON.parse('{"__proto__": {"x": 1}, "constructor": 2}'));
    for (const problem of error.details) assert.doesNotMatch(problem.message, /native code|\[object/);
    assert.equal(error.details.length, 2);
  });
});
