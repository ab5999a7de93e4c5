import { load } from 'js-yaml';
import { MirrorError, MirrorErrorCode } from '../errors.ts';
import { frozenList } from './defaults.ts';
import type { EnvironmentConfig, SyncConfig } from './types.ts';
import { checkFilterEntry } from './value-checks.ts';

/** What an environment file contributes: specs to solve, or exact files to mirror as they are. */
export type EnvironmentFileContent = { specs: string[]; explicit: [] } | { specs: []; explicit: string[] };

/**
 * Reads an environment.yml (`dependencies:` MatchSpecs; `pip:` entries are not conda packages and
 * are ignored) or a conda explicit lockfile (`@EXPLICIT` then one package URL per line, as
 * `conda list --explicit` and conda-lock write). Errors name the file and the line or entry.
 */
export function parseEnvironmentFile(text: string, source: string): EnvironmentFileContent {
  const lines = text.split(/\r?\n/);
  if (lines.some((line) => line.trim() === '@EXPLICIT')) {
    const explicit: string[] = [];
    lines.forEach((raw, index) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#') || line.startsWith('@')) return;
      const path = line.split('#')[0]!;
      const match = /\/([^/]+)\/([^/]+\.(?:conda|tar\.bz2))$/.exec(path);
      if (!match) {
        throw fileError(
          source,
          `line ${index + 1}: expected a package URL ending in <subdir>/<name>-<version>-<build>.conda|.tar.bz2, got '${line}'`,
        );
      }
      explicit.push(`${decodeURIComponent(match[1]!)}/${decodeURIComponent(match[2]!)}`);
    });
    if (explicit.length === 0) throw fileError(source, 'the explicit lockfile lists no package');
    return { specs: [], explicit };
  }
  let doc: unknown;
  try {
    doc = load(text);
  } catch (error) {
    throw fileError(source, `not valid YAML: ${(error as Error).message}`);
  }
  const dependencies = (doc as { dependencies?: unknown } | null)?.dependencies;
  if (!Array.isArray(dependencies))
    throw fileError(source, 'an environment.yml needs a `dependencies:` list');
  const specs: string[] = [];
  dependencies.forEach((entry, index) => {
    if (typeof entry !== 'string') return; // `- pip: [...]`
    const checked = checkFilterEntry(entry);
    if (checked !== null && !checked.ok)
      throw fileError(source, `dependencies[${index}]: ${checked.message}`);
    specs.push(entry.trim());
  });
  if (specs.length === 0) throw fileError(source, 'the environment lists no conda package');
  return { specs, explicit: [] };
}

/**
 * Replaces every `file:` environment by the specs or exact files it holds. `read` gets the path
 * as written in the config (the CLI resolves it against the config file's folder).
 */
export async function expandEnvironmentFiles(
  config: SyncConfig,
  read: (path: string) => Promise<string>,
): Promise<SyncConfig> {
  if (!config.environments.some((e) => e.file !== null)) return config;
  const environments: EnvironmentConfig[] = [];
  for (const environment of config.environments) {
    if (environment.file === null) {
      environments.push(environment);
      continue;
    }
    let text: string;
    try {
      text = await read(environment.file);
    } catch (error) {
      throw fileError(environment.file, `cannot read it: ${(error as Error).message}`);
    }
    const content = parseEnvironmentFile(text, environment.file);
    environments.push(
      Object.freeze({
        ...environment,
        specs: frozenList(content.specs),
        explicit: frozenList(content.explicit),
      }),
    );
  }
  return Object.freeze({ ...config, environments: frozenList(environments) });
}

function fileError(source: string, message: string): MirrorError {
  return new MirrorError(MirrorErrorCode.ConfigInvalid, `environment file ${source}: ${message}`, {
    details: [{ path: 'environments', message: `${source}: ${message}` }],
  });
}
