import type { KeySchema } from './key-spec.ts';
import { keySpec, SYNC_CONFIG_KEYS } from './keys.ts';
import type { SyncConfigKey } from './types.ts';

export { SYNC_CONFIG_KEYS } from './keys.ts';
export {
  BUILD_GLOB_PATTERN,
  FILTER_NAME_PATTERN,
  PACKAGE_NAME_PATTERN,
  PATH_SEGMENT_PATTERN,
  PATTERN_DESCRIPTIONS,
  VERSION_SPEC_PATTERN,
} from './patterns.ts';

/*
 * The JSON Schema of a sync config as a user writes it (the input, before defaults), made from the
 * key table (keys.ts). The API reuses it for its OpenAPI request body. It checks shape, types and
 * ranges; the rules a schema cannot say well (URLs, aliases, cross-key rules, version text, keys
 * not supported yet) live in resolve-sync-config.ts.
 */

function propertySchema(key: SyncConfigKey): KeySchema {
  const spec = keySpec(key);
  return {
    ...spec.schema,
    ...(spec.derivedDefault === undefined ? { default: spec.default } : {}),
    description: spec.notYet === undefined ? spec.doc : `Not supported yet. ${spec.doc}`,
  };
}

export const syncConfigJsonSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://condasync.dev/schemas/sync-config.json',
  title: 'SyncConfig',
  description: 'A condasync sync config (cas-mirror compatible keys plus condasync additions).',
  type: 'object',
  additionalProperties: false,
  properties: Object.fromEntries(SYNC_CONFIG_KEYS.map((key) => [key, propertySchema(key)])) as Readonly<
    Record<SyncConfigKey, KeySchema>
  >,
} as const;
