import { resolveSyncConfig, type SyncConfig } from '../config/index.ts';
import { MirrorError, MirrorErrorCode } from '../errors.ts';

const SOURCE = 'the stored sync config';

/**
 * Reads back a sync config stored at submission (the resolved config, as POST /v1/syncs stores it)
 * and validates it again, so that a config stored by an older release gets this release's defaults.
 * The resolved form is not quite what a user writes: each environment carries `explicit` (exact
 * files, filled from a lockfile by the CLI) and `file: null`, which the config schema refuses. Those
 * two are turned back into input here; without this, every sync with `environments` submitted to
 * the API was refused by the worker and never ran.
 */
export function storedSyncConfig(stored: unknown): SyncConfig {
  if (stored === null || typeof stored !== 'object' || Array.isArray(stored)) {
    throw new MirrorError(
      MirrorErrorCode.ConfigInvalid,
      `${SOURCE} is not a mapping of keys (got ${Array.isArray(stored) ? 'a list' : String(stored)})`,
    );
  }
  const input: Record<string, unknown> = { ...(stored as Record<string, unknown>) };
  if (Array.isArray(input['environments'])) {
    input['environments'] = input['environments'].map(environmentInput);
  }
  return resolveSyncConfig(input, { sourceName: SOURCE });
}

function environmentInput(entry: unknown, index: number): unknown {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return entry;
  const { explicit, file, ...rest } = entry as Record<string, unknown>;
  if (Array.isArray(explicit) && explicit.length > 0) {
    // Only the CLI reads lockfiles, and it runs its syncs itself: no runner stores these.
    throw new MirrorError(
      MirrorErrorCode.ConfigInvalid,
      `${SOURCE}: environments[${index}] lists exact files from a lockfile, which only a local run can mirror`,
      { details: [{ path: `environments[${index}].explicit`, message: 'exact files cannot be stored' }] },
    );
  }
  return file === null || file === undefined ? rest : { ...rest, file };
}
