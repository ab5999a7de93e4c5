import { DEFAULT_CHANNEL_NAMES, LIMITS, SYNC_CONFIG_DEFAULTS } from './defaults.ts';
import { KNOWN_SUBDIRS, LICENSE_FAMILIES, REPODATA_SOURCES } from './vocabulary.ts';

/*
 * The JSON Schema of a sync config as a user writes it (the input, before defaults). The API
 * reuses it for its OpenAPI request body. It checks shape, types and ranges; the rules a schema
 * cannot say well (URLs, aliases, cross-key rules, version text) live in resolve-sync-config.ts.
 * Every key also accepts null, which means "use the default" (an empty YAML value is null).
 */

/** dest_channel and dir_names become path segments: no '/', and no leading '.' ('..', '.condasync'). */
export const PATH_SEGMENT_PATTERN = '^[A-Za-z0-9_-][A-Za-z0-9._-]*$';
export const PACKAGE_NAME_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9_.-]*$';
export const FILTER_NAME_PATTERN = '^[A-Za-z0-9_.*-]+$';
export const VERSION_SPEC_PATTERN = '^[0-9A-Za-z.*+_!,|<>=~() -]+$';
export const BUILD_GLOB_PATTERN = '^[A-Za-z0-9_.*+!-]+$';

/** What each pattern means, for error messages (a regex is no explanation). */
export const PATTERN_DESCRIPTIONS: Readonly<Record<string, string>> = {
  [PATH_SEGMENT_PATTERN]: "a name of letters, digits, '.', '_' and '-', not starting with '.'",
  [PACKAGE_NAME_PATTERN]: "a package name: letters, digits, '.', '_' and '-'",
  [FILTER_NAME_PATTERN]: "a package name or glob: letters, digits, '.', '_', '-' and '*'",
  [VERSION_SPEC_PATTERN]: "a version spec such as '>=1.20,<2' or '3.*'",
  [BUILD_GLOB_PATTERN]: "a build string or glob such as 'py310*'",
};

const nullableString = (description: string, extra: Record<string, unknown> = {}) => ({
  type: ['string', 'null'],
  minLength: 1,
  default: null,
  description,
  ...extra,
});

const boundedNumber = (
  type: 'integer' | 'number',
  limits: { min: number; max: number },
  defaultValue: number | null,
  description: string,
) => ({
  type: [type, 'null'],
  minimum: limits.min,
  maximum: limits.max,
  default: defaultValue,
  description,
});

const filterList = (description: string) => ({
  type: ['array', 'null'],
  default: [],
  description,
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
});

export const syncConfigJsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://condasync.dev/schemas/sync-config.json',
  title: 'SyncConfig',
  description: 'A condasync sync config (cas-mirror compatible keys plus condasync additions).',
  type: 'object',
  additionalProperties: false,
  properties: {
    channels: {
      type: ['array', 'null'],
      minItems: 1,
      items: { type: 'string', minLength: 1 },
      description:
        'Upstream channels: https/http/file URLs (token URLs …/t/<TOKEN>/… allowed) or channel names ' +
        `resolved against remote_url. Default: ${DEFAULT_CHANNEL_NAMES.join(', ')} under remote_url.`,
    },
    remote_url: nullableString('Base URL for channel names and the default channels.', {
      default: SYNC_CONFIG_DEFAULTS.remote_url,
    }),
    platforms: {
      type: ['array', 'null'],
      items: { type: 'string', enum: [...KNOWN_SUBDIRS] },
      default: [...SYNC_CONFIG_DEFAULTS.platforms],
      description: 'Subdirs to mirror; noarch is always added.',
    },
    dest_channel: nullableString('Destination channel name, served at /conda/<dest_channel>/.', {
      pattern: PATH_SEGMENT_PATTERN,
      maxLength: 128,
      default: SYNC_CONFIG_DEFAULTS.dest_channel,
    }),
    dest_site: nullableString('cas-sync site name; informational in condasync.'),
    mirror_dir: nullableString('Write the channel into this folder instead of the storage.'),
    pkg_list: {
      type: ['array', 'null'],
      items: { type: 'string', minLength: 1 },
      default: null,
      description:
        'Mirror only these packages (names, globs or MatchSpecs). Exclusive with blacklist, whitelist, license_blacklist.',
    },
    include_dependencies: {
      type: ['boolean', 'null'],
      default: false,
      description: 'Also mirror the dependency closure of the selected packages.',
    },
    environments: {
      type: ['array', 'null'],
      default: [],
      description:
        'condasync: environments to solve with rattler (the solver behind pixi); the union of the solutions is mirrored.',
      items: {
        type: 'object',
        additionalProperties: false,
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 128 },
          specs: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
          file: {
            type: 'string',
            minLength: 1,
            description:
              'An environment.yml or an explicit lockfile (@EXPLICIT), relative to the config file.',
          },
          platforms: { type: 'array', items: { type: 'string', minLength: 1 } },
        },
      },
    },
    python_versions: {
      type: ['array', 'null'],
      items: { type: ['string', 'integer', 'number'] },
      default: null,
      description: 'Keep only packages built for these Python versions (write "3.10" as a string).',
    },
    license_blacklist: {
      type: ['array', 'null'],
      items: { type: 'string', minLength: 1 },
      default: [],
      description: `License families to drop (case-insensitive): ${LICENSE_FAMILIES.join(', ')}.`,
    },
    blacklist: filterList('Packages to drop: names, globs, MatchSpecs or {name, version, build} objects.'),
    whitelist: filterList('Packages to add back after the other filters removed them.'),
    verify_checksum: {
      type: ['boolean', 'null'],
      default: false,
      description: 'Also re-hash files already in storage (downloads are always verified).',
    },
    delta: {
      type: ['boolean', 'null'],
      default: false,
      description: 'Also write the new packages to delta_dir.',
    },
    delta_dir: nullableString('Folder for the delta bundle; required when delta is true.'),
    fetch_installers: {
      type: ['boolean', 'null'],
      default: SYNC_CONFIG_DEFAULTS.fetch_installers,
      description: 'Also mirror the installer folders named in dir_names.',
    },
    dir_names: {
      type: ['array', 'null'],
      items: { type: 'string', pattern: PATH_SEGMENT_PATTERN },
      default: [...SYNC_CONFIG_DEFAULTS.dir_names],
      description: 'Installer folders under remote_url fetched when fetch_installers is true.',
    },
    repodata_source: {
      enum: [...REPODATA_SOURCES, false, null],
      default: SYNC_CONFIG_DEFAULTS.repodata_source,
      description: 'Upstream index to read; false (what cas-sync printed) means repodata.json.',
    },
    log_level: {
      type: ['string', 'integer', 'null'],
      default: SYNC_CONFIG_DEFAULTS.log_level,
      description:
        'trace, debug, info, warn, error, fatal; or Python names/numbers (CRITICAL/50 … DEBUG/10).',
    },
    log_dir: nullableString('Folder for log files of the bundled server.'),
    server_port: boundedNumber('integer', LIMITS.server_port, null, 'Port of the bundled server.'),
    server_log_dir: nullableString('Folder for access logs of the bundled server.'),
    concurrency: boundedNumber(
      'integer',
      LIMITS.concurrency,
      SYNC_CONFIG_DEFAULTS.concurrency,
      'condasync: parallel downloads in local mode.',
    ),
    retries: boundedNumber(
      'integer',
      LIMITS.retries,
      SYNC_CONFIG_DEFAULTS.retries,
      'condasync: retries per download.',
    ),
    download_timeout_seconds: boundedNumber(
      'number',
      LIMITS.download_timeout_seconds,
      SYNC_CONFIG_DEFAULTS.download_timeout_seconds,
      'condasync: overall deadline per download, in seconds.',
    ),
    min_bytes_per_second: boundedNumber(
      'integer',
      LIMITS.min_bytes_per_second,
      SYNC_CONFIG_DEFAULTS.min_bytes_per_second,
      'condasync: minimum download throughput after a grace period; 0 disables the rule.',
    ),
    zstd_level: boundedNumber(
      'integer',
      LIMITS.zstd_level,
      SYNC_CONFIG_DEFAULTS.zstd_level,
      'condasync: zstd level of repodata.json.zst.',
    ),
    grace_period_hours: boundedNumber(
      'number',
      LIMITS.grace_period_hours,
      SYNC_CONFIG_DEFAULTS.grace_period_hours,
      'condasync: delay before deleting packages (and shard files) that are no longer listed.',
    ),
    shards: {
      type: ['boolean', 'null'],
      default: SYNC_CONFIG_DEFAULTS.shards,
      description:
        'condasync: publish sharded repodata (CEP 16: repodata_shards.msgpack.zst and shards/) in every subdir.',
    },
    current_repodata: {
      type: ['boolean', 'null'],
      default: SYNC_CONFIG_DEFAULTS.current_repodata,
      description: "condasync: also publish current_repodata.json (read only by conda's classic solver).",
    },
    repodata_bz2: {
      type: ['boolean', 'null'],
      default: SYNC_CONFIG_DEFAULTS.repodata_bz2,
      description:
        'condasync: also publish repodata.json.bz2 (the same JSON, bzip2-compressed). Only rattler/pixi read it, and only when repodata.json.zst is unavailable (rattler HEADs it on a cold cache); conda has not read .bz2 in years. Off by default: bzip2-compressing a large repodata.json is slow (CPU-bound).',
    },
  },
} as const;

/** Every key a sync config may contain. */
export const SYNC_CONFIG_KEYS = Object.keys(syncConfigJsonSchema.properties) as Array<
  keyof typeof syncConfigJsonSchema.properties
>;
