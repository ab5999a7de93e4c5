import { isDeepStrictEqual } from 'node:util';
import type { ConfigProblem } from '../errors.ts';
import { keySpec, SYNC_CONFIG_KEYS } from './keys.ts';

/**
 * Keys the table marks `notYet` (cas-sync keys condasync does not act on yet) are accepted only at
 * their default, which asks for nothing: any other value is refused rather than silently ignored.
 * A key that already has a problem (wrong type, blank text) is left to that message.
 */
export function unsupportedKeyProblems(
  input: Readonly<Record<string, unknown>>,
  reported: readonly ConfigProblem[],
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const key of SYNC_CONFIG_KEYS) {
    const spec = keySpec(key);
    const value = input[key];
    if (spec.notYet === undefined || value === undefined || value === null) continue;
    if (isDeepStrictEqual(value, spec.default)) continue;
    if (reported.some((problem) => problem.path === key || problem.path.startsWith(`${key}[`))) continue;
    problems.push({
      path: key,
      message:
        `'${key}' is not supported yet: condasync cannot ${spec.notYet} yet, and refuses the key ` +
        `rather than ignore it; remove it or set it to ${JSON.stringify(spec.default)}`,
    });
  }
  return problems;
}
