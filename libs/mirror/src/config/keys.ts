import {
  DEFAULT_CHANNEL_NAMES,
  DEFAULT_PLATFORMS,
  DEFAULT_REMOTE_URL,
  frozenList,
  LIMITS,
} from './defaults.ts';
import {
  booleanSchema,
  type ConfigKeySpec,
  filterListSchema,
  nullable,
  rangeSchema,
  rangeText,
  textSchema,
} from './key-spec.ts';
import { PATH_SEGMENT_PATTERN } from './patterns.ts';
import type { FilterEntry, SyncConfig, SyncConfigKey } from './types.ts';
import { KNOWN_SUBDIRS, LICENSE_FAMILIES, type LicenseFamily, REPODATA_SOURCES } from './vocabulary.ts';

const code = (values: readonly string[]): string => values.map((value) => `\`${value}\``).join(', ');

/**
 * Every sync config key, once: its schema, default, documentation and cas-sync note. The JSON
 * Schema (schema.ts), SYNC_CONFIG_DEFAULTS, `--show-config` (render-config.ts) and the key tables
 * of docs/configuration.md (config-docs.ts) are made from it; `satisfies` makes the type checker
 * hold it to the SyncConfig interface, key for key. The order is cas-sync's `--show-config` order,
 * then the condasync additions.
 */
export const SYNC_CONFIG_KEY_TABLE = {
  remote_url: {
    origin: 'cas-sync',
    schema: textSchema(),
    default: DEFAULT_REMOTE_URL,
    typeText: 'URL',
    doc: 'Base for channel names and the default channels. Printed with one trailing slash.',
    casSync: 'Same.',
  },
  mirror_dir: {
    origin: 'cas-sync',
    schema: textSchema(),
    default: null,
    typeText: 'path',
    doc: "Write the channel into this folder (cas-sync's export mode) instead of the configured storage.",
    casSync:
      'cas-sync always wrote to a folder and defaulted to `/opt/cas-mirror`; condasync writes to its storage unless this is set.',
  },
  platforms: {
    origin: 'cas-sync',
    schema: { type: nullable('array'), items: { type: 'string', enum: [...KNOWN_SUBDIRS] } },
    default: frozenList<string>([...DEFAULT_PLATFORMS]),
    typeText: 'list of subdirs',
    doc:
      'Subdirs to mirror. `noarch` is always added (conda, mamba and pixi refuse a channel without it). ' +
      `The result is sorted and unique. Known subdirs: ${code(KNOWN_SUBDIRS)}.`,
    casSync:
      'cas-sync defaulted to `osx-32, osx-64, win-32, win-64, linux-32, linux-64, linux-armv6l, linux-armv7l, linux-ppc64le`, ' +
      'which predates Apple silicon and aarch64; those old subdirs are still accepted when listed.',
    inline: true,
  },
  fetch_installers: {
    origin: 'cas-sync',
    schema: booleanSchema,
    default: false,
    typeText: 'boolean',
    doc:
      'Also mirror the installer folders in `dir_names` from `remote_url` (`<remote_url><dir>/`, e.g. ' +
      "Anaconda's `archive/` and `miniconda/`) into the store's `downloads/<dir>/`, served at " +
      "`/downloads/<dir>/`. Each file is verified against the SHA256 the folder's index page lists; rows " +
      'without one are skipped and reported. Needs an http(s) `remote_url`. See Installers below.',
    casSync:
      "cas-sync defaulted to `true`. condasync defaults to `false`: Anaconda's `archive/` holds every installer ever " +
      'published (hundreds of GB), and conda-forge-style upstreams have no such folder.',
  },
  repodata_source: {
    origin: 'cas-sync',
    schema: { enum: [...REPODATA_SOURCES, false, null] },
    default: 'repodata.json',
    typeText: code(REPODATA_SOURCES).replace(', ', ' or '),
    doc:
      'Which upstream index to read: the patched `repodata.json`, or the unpatched ' +
      '`repodata_from_packages.json` where the upstream publishes it.',
    casSync: 'cas-sync printed `False` for the default; `false` is accepted and means `repodata.json`.',
  },
  dir_names: {
    origin: 'cas-sync',
    schema: { type: nullable('array'), items: { type: 'string', pattern: PATH_SEGMENT_PATTERN } },
    default: frozenList(['archive']),
    typeText: 'list of folder names',
    doc:
      'Installer folders fetched from `remote_url/<name>/` when `fetch_installers` is on (e.g. `archive`, ' +
      '`miniconda`). Each is one path segment.',
    casSync: 'Same.',
    inline: true,
  },
  server_log_dir: {
    origin: 'cas-sync',
    schema: textSchema(),
    default: null,
    typeText: 'path',
    doc:
      "Folder for `condasync serve`'s access log: one JSON line per request in `<server_log_dir>/access.log`, " +
      'appended across runs (rotate it with logrotate `copytruncate`), tokens in URLs redacted.',
    casSync: 'Same.',
  },
  server_port: {
    origin: 'cas-sync',
    schema: rangeSchema('integer', LIMITS.server_port),
    default: null,
    typeText: rangeText('integer', LIMITS.server_port),
    doc:
      'Port of `condasync serve -f <config>`, which serves `mirror_dir` at `/conda/<dest_channel>/` ' +
      '(default 8080; `--port` overrides). The API process takes its port from `PORT`.',
    casSync: 'Same.',
  },
  dest_site: {
    origin: 'cas-sync',
    schema: textSchema(),
    default: null,
    typeText: 'string',
    doc:
      'The anaconda-client site cas-sync-api-v4 uploaded to. condasync has one destination (its storage), ' +
      'so the value is only recorded with the sync.',
    casSync: 'Accepted so existing configs load.',
  },
  dest_channel: {
    origin: 'cas-sync',
    schema: textSchema({ pattern: PATH_SEGMENT_PATTERN, maxLength: 128 }),
    default: 'anaconda',
    typeText: 'name',
    doc:
      'Destination channel, served at `/conda/<dest_channel>/` and stored under `<prefix>/<dest_channel>/`. ' +
      'Letters, digits, `.`, `_`, `-`; must not start with `.`. Give each mirrored upstream its own ' +
      '`dest_channel`, or two syncs write into the same channel.',
    casSync: 'Same default as cas-sync (`anaconda`).',
  },
  verify_checksum: {
    origin: 'cas-sync',
    schema: booleanSchema,
    default: false,
    typeText: 'boolean',
    doc:
      'Also re-hash the packages already in storage when planning (from the CLI and the API alike): a stored ' +
      'file whose bytes no longer match its record is downloaded again (as `condasync verify --repair` would). ' +
      'Every download is always checked against the upstream size and sha256 (md5 when a record has no ' +
      'sha256), whatever this says.',
    casSync: 'cas-sync only checked when this was on; condasync always checks downloads.',
  },
  delta: {
    origin: 'cas-sync',
    schema: booleanSchema,
    default: false,
    typeText: 'boolean',
    doc:
      'Also write what each run changes (new packages, new metadata, deletions) into `delta_dir` as a bundle ' +
      '`condasync-delta-<time>.tar` that `condasync import` applies on top of the copy the previous bundle made ' +
      '(it names the repodata it was built on, and is refused elsewhere). Local syncs (`condasync sync`) only.',
    casSync: 'cas-sync copied only the new packages; condasync also carries the metadata and deletions.',
  },
  delta_dir: {
    origin: 'cas-sync',
    schema: textSchema(),
    default: null,
    typeText: 'path',
    doc: 'Folder the delta bundles are written to (created if missing). Required when `delta` is `true`.',
    casSync: 'Same.',
  },
  log_dir: {
    origin: 'cas-sync',
    schema: textSchema(),
    default: null,
    typeText: 'path',
    doc:
      "Folder for the CLI's own log file: `condasync sync -f` appends its log, as JSON lines, to " +
      '`<log_dir>/condasync.log` besides printing it on stderr.',
    casSync: 'Same.',
  },
  log_level: {
    origin: 'cas-sync',
    schema: { type: nullable(['string', 'integer']) },
    default: 'info',
    typeText: 'level',
    doc:
      'One of `trace`, `debug`, `info`, `warn`, `error`, `fatal`. Python logging names in any case ' +
      '(`CRITICAL`, `ERROR`, `WARNING`, `INFO`, `DEBUG`) and numbers (`50`, `40`, `30`, `20`, `10`) are ' +
      'accepted. Shown as the name.',
    casSync: 'cas-sync printed `20`; that still works.',
  },
  python_versions: {
    origin: 'cas-sync',
    schema: { type: nullable('array'), items: { type: ['string', 'integer', 'number'] } },
    default: null,
    defaultText: 'none (every version)',
    typeText: 'list of versions (`"3.10"`, `2.7`, `3`)',
    doc:
      'Keep only packages built for these Python versions, plus packages that do not depend on a particular ' +
      'Python version and every `noarch` package.',
    casSync: 'Same. `[]` means no filter, as in cas-sync.',
    inline: true,
  },
  pkg_list: {
    origin: 'cas-sync',
    schema: { type: nullable('array'), items: { type: 'string', minLength: 1 } },
    default: null,
    defaultText: 'none (everything)',
    typeText: 'list of names, globs or MatchSpecs',
    doc:
      'Mirror only these packages (all their versions and builds on the mirrored platforms). Cannot be ' +
      'combined with a non-empty `blacklist`, `whitelist` or `license_blacklist`. Sorted and unique.',
    casSync: 'Same. cas-sync\'s `pkg_list: []` meant "no list"; so does condasync\'s.',
  },
  license_blacklist: {
    origin: 'cas-sync',
    schema: { type: nullable('array'), items: { type: 'string', minLength: 1 } },
    default: frozenList<LicenseFamily>([]),
    typeText: 'list of license families',
    doc:
      `Drop packages of these license families: ${code(LICENSE_FAMILIES)}. Matched on a record's ` +
      '`license_family`, failing that on its `license`. Case-insensitive (`gpl3`, `public domain` work); ' +
      'shown canonical.',
    casSync: 'Same families.',
    inline: true,
  },
  blacklist: {
    origin: 'cas-sync',
    schema: filterListSchema,
    default: frozenList<FilterEntry>([]),
    typeText: 'list of filter entries',
    doc:
      'Drop matching packages. An entry is a package name (`tensorflow`), a glob (`cuda*`), a MatchSpec ' +
      '(`numpy >=1.20,<2`, `openssl 3.*`) or an object `{name, version, build}` (conda-mirror style: `name` ' +
      'is required, `version` is a version spec, `build` a build-string glob).',
    casSync: 'Same; the MatchSpec form and objects are accepted as conda-mirror does.',
  },
  whitelist: {
    origin: 'cas-sync',
    schema: filterListSchema,
    default: frozenList<FilterEntry>([]),
    typeText: 'list of filter entries',
    doc:
      'Add back packages that an earlier rule removed. Same entry forms as `blacklist`. A whitelist on its ' +
      'own changes nothing.',
    casSync: 'Same.',
  },
  channels: {
    origin: 'cas-sync',
    schema: { type: nullable('array'), minItems: 1, items: { type: 'string', minLength: 1 } },
    default: frozenList(DEFAULT_CHANNEL_NAMES.map((name) => `${DEFAULT_REMOTE_URL}${name}`)),
    derivedDefault: `${code(DEFAULT_CHANNEL_NAMES)} under \`remote_url\``,
    typeText: 'list of URLs or channel names',
    doc:
      'Upstream channels: https, http or `file://` URLs (token URLs `…/t/<TOKEN>/…` allowed) or channel ' +
      'names. Several channels merge into one destination channel; on a filename collision the first ' +
      'channel listed wins and the collision is reported. See Channels below.',
    casSync: 'Same meaning. Names without a scheme are resolved as described below.',
  },
  include_dependencies: {
    origin: 'condasync',
    schema: booleanSchema,
    default: false,
    typeText: 'boolean',
    doc:
      'Also mirror the dependency closure of the selected packages, so the mirror is installable offline ' +
      '(cas-sync and anaconda-mirror never pulled dependencies). See Filters below.',
  },
  environments: {
    origin: 'condasync',
    schema: {
      type: nullable('array'),
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
    default: frozenList([]),
    typeText: 'list of `{name, specs \\| file, platforms}`',
    doc:
      "Solver-exact subsets: each environment's `specs` (MatchSpecs) are solved with rattler, the solver " +
      'behind pixi, for each of its `platforms` (default: every mirrored platform; each must be mirrored) ' +
      'plus `noarch`, against the upstream channels, and the union of the solutions is mirrored: far smaller ' +
      'than the `include_dependencies` closure. Combines with `pkg_list` (union); exclusive with `blacklist`, ' +
      '`whitelist`, `license_blacklist`. rattler fetches the repodata itself (sharded when offered), through ' +
      "a loopback gateway that serves `file://` upstreams and proxies http(s) ones through condasync's own " +
      'client (same timeouts and address policy). Instead of `specs`, an environment may name a `file`: an ' +
      '`environment.yml` (its conda `dependencies`) or an explicit lockfile (`@EXPLICIT` URLs, taken as they ' +
      'are, no solve), read by the CLI relative to the config file; the API refuses `file` (give specs inline).',
  },
  concurrency: {
    origin: 'condasync',
    schema: rangeSchema('integer', LIMITS.concurrency),
    default: 16,
    typeText: rangeText('integer', LIMITS.concurrency),
    doc:
      'Parallel downloads when the CLI runs the sync in-process (local mode). Distributed workers use ' +
      '`CONDASYNC_WORKER_CONCURRENCY`.',
  },
  retries: {
    origin: 'condasync',
    schema: rangeSchema('integer', LIMITS.retries),
    default: 4,
    typeText: rangeText('integer', LIMITS.retries),
    doc: 'Retries per download for transient faults (timeouts, resets, 5xx, 429), with jittered exponential backoff.',
  },
  download_timeout_seconds: {
    origin: 'condasync',
    schema: rangeSchema('number', LIMITS.download_timeout_seconds),
    default: 900,
    typeText: rangeText('number', LIMITS.download_timeout_seconds),
    doc:
      'Overall deadline for one download attempt, headers and body together (a per-chunk timeout alone ' +
      'lets a slow upstream hang forever). Each retry gets a fresh deadline.',
  },
  min_bytes_per_second: {
    origin: 'condasync',
    schema: rangeSchema('integer', LIMITS.min_bytes_per_second),
    default: 4096,
    typeText: rangeText('integer', LIMITS.min_bytes_per_second),
    doc:
      'After a grace period, a download slower than this is aborted and retried, so a trickling upstream ' +
      'cannot hang a sync. `0` turns the rule off.',
  },
  zstd_level: {
    origin: 'condasync',
    schema: rangeSchema('integer', LIMITS.zstd_level),
    default: 3,
    typeText: rangeText('integer', LIMITS.zstd_level),
    doc:
      'Compression level of the published `repodata.json.zst` (and `run_exports.json.zst`, ' +
      '`current_repodata.json.zst`). Level 19 makes files about 18 % smaller and is roughly 300 times ' +
      'slower. Shards always use level 3, so changing this does not rename them.',
  },
  grace_period_hours: {
    origin: 'condasync',
    schema: rangeSchema('number', LIMITS.grace_period_hours),
    default: 24,
    typeText: rangeText('number', LIMITS.grace_period_hours),
    doc:
      'Packages that are no longer mirrored (removed upstream or filtered out), and shard files the new ' +
      'shard index no longer lists, are deleted only after the new metadata is published and this long has ' +
      'passed, so clients with cached repodata keep working.',
  },
  shards: {
    origin: 'condasync',
    schema: booleanSchema,
    default: true,
    typeText: 'boolean',
    doc:
      'Publish sharded repodata (CEP 16) in every subdir: `shards/<sha256>.msgpack.zst`, one per package ' +
      'name, then `repodata_shards.msgpack.zst`. pixi and conda ≥ 26.5 ask for it before `repodata.json`. ' +
      '`false` removes a published index; its shard files go after `grace_period_hours`.',
  },
  current_repodata: {
    origin: 'condasync',
    schema: booleanSchema,
    default: false,
    typeText: 'boolean',
    doc:
      'Also publish `current_repodata.json` (and `.zst`): the newest version of each package with all its ' +
      "builds, plus the versions their dependencies need, as conda-index builds it. Only conda's classic " +
      'solver reads it; `false` removes a published one.',
  },
  repodata_bz2: {
    origin: 'condasync',
    schema: booleanSchema,
    default: false,
    typeText: 'boolean',
    doc:
      'Also publish `repodata.json.bz2`: the bytes of `repodata.json`, bzip2-compressed, written before ' +
      '`repodata.json` and only when it changes. conda has not read `.bz2` in years and mamba 2 never asks ' +
      'for it; rattler (pixi) reads it only when `repodata.json.zst` is missing, so with the `.zst` always ' +
      'published it is only a fallback for old or unusual clients. Off by default because bzip2-compressing ' +
      'a large `repodata.json` is slow (a CPU-bound pure-JavaScript encoder). `false` removes a published one.',
  },
} satisfies { readonly [K in SyncConfigKey]: ConfigKeySpec<SyncConfig[K]> };

/** Every key a sync config may contain, in the table's order. */
export const SYNC_CONFIG_KEYS = Object.keys(SYNC_CONFIG_KEY_TABLE) as SyncConfigKey[];

/** One key's entry, with the fields every entry may have. */
export function keySpec<K extends SyncConfigKey>(key: K): ConfigKeySpec<SyncConfig[K]> {
  return SYNC_CONFIG_KEY_TABLE[key] as ConfigKeySpec<SyncConfig[K]>;
}

/** Defaults of every key whose default does not depend on another key (`channels` does). */
export const SYNC_CONFIG_DEFAULTS = Object.freeze(
  Object.fromEntries(
    SYNC_CONFIG_KEYS.filter((key) => keySpec(key).derivedDefault === undefined).map((key) => [
      key,
      keySpec(key).default,
    ]),
  ),
) as Readonly<Omit<SyncConfig, 'channels'>>;
