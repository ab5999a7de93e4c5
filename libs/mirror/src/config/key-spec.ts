import { BUILD_GLOB_PATTERN, FILTER_NAME_PATTERN, VERSION_SPEC_PATTERN } from './patterns.ts';

/** The JSON Schema of one key's value as a user writes it (before defaults). */
export type KeySchema = Readonly<Record<string, unknown>>;

/**
 * Everything condasync knows about one sync config key. The table in keys.ts holds one per key;
 * the JSON Schema, the defaults, `--show-config` and docs/configuration.md are all made from it.
 */
export interface ConfigKeySpec<T> {
  /** A key of the Anaconda Repository 4 mirroring tools, or a condasync addition. */
  readonly origin: 'cas-sync' | 'condasync';
  /** The value's schema, without `default` and `description` (they come from the fields below). */
  readonly schema: KeySchema;
  /** The resolved value when the key is absent or null. */
  readonly default: T;
  /** Set when the default depends on other keys: the docs show this text, the schema has no default. */
  readonly derivedDefault?: string;
  /** The docs' Default column when the value alone would say too little (e.g. "none (everything)"). */
  readonly defaultText?: string;
  /** The docs' Type column. */
  readonly typeText: string;
  /** What the key does (Markdown): the docs' Meaning column and the schema's description. */
  readonly doc: string;
  /** How cas-sync treated the key; cas-sync keys only. */
  readonly casSync?: string;
  /**
   * Set while condasync does not act on the key: what it cannot do yet, completing "condasync
   * cannot … yet". A config that gives the key any value but its default is refused, naming it.
   */
  readonly notYet?: string;
  /** `--show-config` prints the list on one line, as cas-sync did. */
  readonly inline?: boolean;
}

/** Every key also accepts null, which means "use the default" (an empty YAML value is null). */
export const nullable = (type: string | readonly string[]): string[] => [
  ...(typeof type === 'string' ? [type] : type),
  'null',
];

export const booleanSchema: KeySchema = { type: nullable('boolean') };

export const textSchema = (extra: KeySchema = {}): KeySchema => ({
  type: nullable('string'),
  minLength: 1,
  ...extra,
});

export const rangeSchema = (type: 'integer' | 'number', limits: { min: number; max: number }): KeySchema => ({
  type: nullable(type),
  minimum: limits.min,
  maximum: limits.max,
});

export const rangeText = (type: 'integer' | 'number', limits: { min: number; max: number }): string =>
  limits.max >= 1024 ** 3 ? `${type} ≥ ${limits.min}` : `${type} ${limits.min}–${limits.max}`;

/** blacklist and whitelist entries. */
export const filterListSchema: KeySchema = {
  type: nullable('array'),
  items: {
    // A string (name, glob or MatchSpec) or a conda-mirror style object. One item schema with a
    // union type instead of anyOf, so a bad entry yields one precise error instead of one per branch.
    type: ['string', 'object'],
    minLength: 1,
    required: ['name'],
    additionalProperties: false,
    properties: {
      name: { type: 'string', pattern: FILTER_NAME_PATTERN, description: 'Package name or glob.' },
      version: {
        type: ['string', 'number'],
        pattern: VERSION_SPEC_PATTERN,
        description: 'Version spec, e.g. ">=1.20,<2". Quote it in YAML.',
      },
      build: { type: ['string', 'integer'], pattern: BUILD_GLOB_PATTERN, description: 'Build-string glob.' },
    },
  },
};
