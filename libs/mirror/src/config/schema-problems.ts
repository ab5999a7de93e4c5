import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { ConfigProblem } from '../errors.ts';
import { redactUrl } from './channel-url.ts';
import { PATTERN_DESCRIPTIONS, syncConfigJsonSchema } from './schema.ts';
import { closestMatch } from './suggest.ts';
import { ENVIRONMENT_ONLY_KEYS } from './vocabulary.ts';

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  // verbose: errors carry the offending value and the schema that rejected it, which the messages need.
  compiled ??= new Ajv({
    allErrors: true,
    verbose: true,
    strict: true,
    allowUnionTypes: true,
    logger: false,
  }).compile(syncConfigJsonSchema);
  return compiled;
}

/** Checks shape, types and ranges against the JSON Schema; returns every problem with its key path. */
export function schemaProblems(raw: unknown): ConfigProblem[] {
  const validate = validator();
  if (validate(raw)) {
    return [];
  }
  const errors = validate.errors ?? [];
  // A value of the wrong type also fails every other keyword at its path; the type error says it all.
  const wrongTypePaths = new Set(
    errors.filter((error) => error.keyword === 'type').map((e) => e.instancePath),
  );
  const problems: ConfigProblem[] = [];
  const seen = new Set<string>();
  // Suggestions cost an edit distance per known word: only the problems that will be listed get them.
  let suggestionsLeft = MAX_REPORTED_PROBLEMS;
  const suggest: Suggest = (word, candidates) =>
    suggestionsLeft-- > 0 ? closestMatch(word, candidates) : null;
  for (const error of errors) {
    if (error.keyword !== 'type' && wrongTypePaths.has(error.instancePath)) {
      continue;
    }
    const problem = describeError(error, suggest);
    const key = `${problem.path}\n${problem.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      problems.push(problem);
    }
  }
  return problems;
}

/** `/blacklist/2/version` → `blacklist[2].version`. */
export function toKeyPath(instancePath: string, child?: string): string {
  const segments = instancePath === '' ? [] : instancePath.slice(1).split('/');
  if (child !== undefined) {
    segments.push(child);
  }
  let path = '';
  for (const raw of segments) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    // Only list indices are all digits here: every mapping in a config has named keys.
    path += /^\d+$/.test(segment) ? `[${segment}]` : path === '' ? segment : `.${segment}`;
  }
  return path;
}

/** A short, token-free rendering of a value for messages. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return `the string '${truncate(redactUrl(value))}'`;
  if (typeof value === 'number' || typeof value === 'boolean') return `the ${typeof value} ${String(value)}`;
  const json = truncate(redactUrl(JSON.stringify(value) ?? String(value)));
  return Array.isArray(value) ? `a list ${json}` : `a mapping ${json}`;
}

type Suggest = (word: string, candidates: readonly string[]) => string | null;

function describeError(error: ErrorObject, suggest: Suggest): ConfigProblem {
  const path = toKeyPath(error.instancePath);
  const params = error.params as Record<string, unknown>;
  const data: unknown = error.data;
  switch (error.keyword) {
    case 'type':
      return { path, message: typeMessage(String(params['type']), data) };
    case 'additionalProperties':
      return unknownKeyProblem(error, String(params['additionalProperty']), suggest);
    case 'required':
      return {
        path: toKeyPath(error.instancePath, String(params['missingProperty'])),
        message: 'is required here but missing',
      };
    case 'enum':
      return { path, message: enumMessage(error.schema as unknown[], data, suggest) };
    case 'minimum':
    case 'maximum':
      return { path, message: rangeMessage(error.parentSchema as Record<string, unknown>, data) };
    case 'minLength':
      return { path, message: 'must not be empty' };
    case 'maxLength':
      return {
        path,
        message: `must be at most ${String(params['limit'])} characters, got ${describeValue(data)}`,
      };
    case 'minItems':
      return { path, message: 'must list at least one entry (or leave the key out to use the default)' };
    case 'pattern': {
      const pattern = String(params['pattern']);
      const expected = PATTERN_DESCRIPTIONS[pattern] ?? `text matching ${pattern}`;
      return { path, message: `expected ${expected}, got ${describeValue(data)}` };
    }
    default:
      return { path, message: `${error.message ?? 'is invalid'}, got ${describeValue(data)}` };
  }
}

const TYPE_NAMES: Readonly<Record<string, string>> = {
  array: 'a list',
  object: 'a mapping',
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'a boolean (true or false)',
};

function typeMessage(typeList: string, data: unknown): string {
  const types = typeList.split(',').filter((type) => type !== 'null');
  // A list that allows both integers and numbers is just "a number".
  const named = types.filter((type) => !(type === 'integer' && types.includes('number')));
  const expected = named.map((type) => TYPE_NAMES[type] ?? type).join(' or ');
  let hint = '';
  if (types.includes('boolean') && typeof data === 'string' && /^(yes|no|on|off|y|n)$/i.test(data)) {
    hint = ' (YAML 1.2 reads yes/no/on/off as text: write true or false)';
  } else if (types.includes('array') && (typeof data === 'string' || typeof data === 'number')) {
    hint = ' (write a list, e.g. [value] or one "- value" line per entry)';
  } else if (types.includes('integer') && typeof data === 'number') {
    hint = ' (a whole number)';
  }
  return `expected ${expected}, got ${describeValue(data)}${hint}`;
}

function enumMessage(allowed: unknown[], data: unknown, suggest: Suggest): string {
  const listed = allowed.map((value) => (typeof value === 'string' ? value : String(value))).join(', ');
  const suggestion =
    typeof data === 'string'
      ? suggest(
          data,
          allowed.filter((value): value is string => typeof value === 'string'),
        )
      : null;
  const hint = suggestion === null ? '' : ` (did you mean '${suggestion}'?)`;
  return `expected one of ${listed}; got ${describeValue(data)}${hint}`;
}

function rangeMessage(schema: Record<string, unknown>, data: unknown): string {
  const types = Array.isArray(schema['type']) ? schema['type'] : [schema['type']];
  const kind = types.includes('integer') ? 'an integer' : 'a number';
  return `expected ${kind} from ${String(schema['minimum'])} to ${String(schema['maximum'])}, got ${describeValue(data)}`;
}

function unknownKeyProblem(error: ErrorObject, rawKey: string, suggest: Suggest): ConfigProblem {
  // The key is the client's text, of any length: messages and paths show a bounded rendering.
  const key = shortKey(rawKey);
  const path = toKeyPath(error.instancePath, key);
  const atTopLevel = error.instancePath === '';
  const lowered = rawKey.toLowerCase();
  // Own entries only: `constructor` or `__proto__` would otherwise find Object.prototype's members.
  const environmentVariable =
    atTopLevel && Object.hasOwn(ENVIRONMENT_ONLY_KEYS, lowered) ? ENVIRONMENT_ONLY_KEYS[lowered] : undefined;
  if (environmentVariable !== undefined) {
    return {
      path,
      message: `unknown key '${key}': this setting comes from the environment variable ${environmentVariable}, not from a sync config`,
    };
  }
  if (atTopLevel && key === 'path') {
    return { path, message: "unknown key 'path': --show-config prints it, but it is not a config key" };
  }
  const properties = (error.parentSchema as { properties?: Record<string, unknown> }).properties ?? {};
  const known = Object.keys(properties);
  const suggestion = suggest(rawKey, known);
  if (suggestion !== null) {
    return { path, message: `unknown key '${key}' (did you mean '${suggestion}'?)` };
  }
  const where = atTopLevel
    ? 'see docs/configuration.md for every key'
    : `expected one of ${known.join(', ')}`;
  return { path, message: `unknown key '${key}'; ${where}` };
}

/** Most problems one answer lists; a config with thousands of bad keys gets a bounded answer. */
export const MAX_REPORTED_PROBLEMS = 50;

/**
 * The problems to report: all of them up to MAX_REPORTED_PROBLEMS, else the first ones and a last
 * entry that says how many more there are.
 */
export function boundedProblems(problems: readonly ConfigProblem[]): ConfigProblem[] {
  if (problems.length <= MAX_REPORTED_PROBLEMS) return [...problems];
  const shown = problems.slice(0, MAX_REPORTED_PROBLEMS - 1);
  const more = problems.length - shown.length;
  return [...shown, { path: '', message: `${more} more problems not listed; fix the ones above first` }];
}

/** A key as messages show it: at most 64 characters, with the length of a longer one. */
function shortKey(key: string): string {
  return key.length <= 64 ? key : `${key.slice(0, 48)}... (${key.length} characters)`;
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
