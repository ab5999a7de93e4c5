import { loadAll, YAMLException } from 'js-yaml';
import { MirrorError, MirrorErrorCode } from '../errors.ts';
import { resolveSyncConfig } from './resolve-sync-config.ts';
import type { SyncConfig } from './types.ts';
import { SYNC_CONFIG_YAML_SCHEMA, unwrapYamlFloats } from './yaml-schema.ts';

/**
 * Aliases make a small document expand into a huge tree for every walker after the parser (the
 * schema validator included). A config has no use for many of them.
 */
const MAX_YAML_ALIASES = 16;

/**
 * Parses a sync config written in YAML or JSON (JSON is YAML) and resolves it like
 * resolveSyncConfig. An empty file means all defaults. Versions written as bare numbers keep their
 * text: `python_versions: [3.10]` is '3.10', not 3.1.
 */
export function parseSyncConfig(text: string, options: { sourceName?: string } = {}): SyncConfig {
  const { sourceName } = options;
  let documents: unknown[];
  try {
    documents = loadAll(text, {
      schema: SYNC_CONFIG_YAML_SCHEMA,
      maxAliases: MAX_YAML_ALIASES,
      ...(sourceName === undefined ? {} : { filename: sourceName }),
    });
  } catch (error) {
    throw syntaxError(describeYamlError(error), sourceName, error);
  }
  if (documents.length > 1) {
    throw syntaxError(`expected one YAML document, found ${documents.length} (separated by ---)`, sourceName);
  }
  return resolveSyncConfig(unwrapYamlFloats(documents[0]), sourceName === undefined ? {} : { sourceName });
}

function describeYamlError(error: unknown): string {
  if (error instanceof YAMLException) {
    const mark = error.mark;
    return mark === undefined
      ? `YAML syntax error: ${error.reason}`
      : `YAML syntax error at line ${mark.line + 1}, column ${mark.column + 1}: ${error.reason}`;
  }
  return `YAML syntax error: ${error instanceof Error ? error.message : String(error)}`;
}

function syntaxError(message: string, sourceName: string | undefined, cause?: unknown): MirrorError {
  const where = sourceName === undefined ? '' : ` (${sourceName})`;
  return new MirrorError(MirrorErrorCode.ConfigInvalid, `invalid sync config${where}: ${message}`, {
    cause,
    details: Object.freeze([Object.freeze({ path: '', message })]),
  });
}
