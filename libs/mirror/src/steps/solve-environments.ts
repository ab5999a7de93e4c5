import { type Platform, simpleSolve } from '@conda-org/rattler';
import { MirrorError, MirrorErrorCode } from '../errors.ts';
import type { Logger } from '../logger.ts';

/** One environment to make installable from the mirror: specs solved for each platform. */
export interface EnvironmentSpec {
  name: string;
  specs: readonly string[];
  platforms: readonly string[];
}

/** subdir → filenames that some environment's solution needs. */
export type SolvedSelection = Map<string, Set<string>>;

/**
 * Solves every environment with rattler's solver (the one behind pixi) against the upstream
 * channels and returns the union of the solutions: an installable subset far smaller than a
 * dependency closure, which takes every version of every dependency. rattler fetches the
 * repodata it needs itself (sharded when the upstream offers it), so the channels must be http(s).
 */
export async function solveEnvironments(
  environments: readonly EnvironmentSpec[],
  channelUrls: readonly string[],
  logger: Logger,
): Promise<SolvedSelection> {
  const selection: SolvedSelection = new Map();
  const channels = channelUrls.map((url) => {
    if (url.startsWith('file:')) {
      throw new MirrorError(
        MirrorErrorCode.ConfigInvalid,
        'environments are solved by fetching repodata over http(s); file:// channels cannot be solved against',
        { details: [{ path: 'environments', message: 'needs http(s) channels' }] },
      );
    }
    return `${url.replace(/\/+$/, '')}/`;
  });
  for (const environment of environments) {
    for (const platform of environment.platforms) {
      // noarch is always solved alongside: most environments need noarch packages.
      const subdirs = (platform === 'noarch' ? ['noarch'] : [platform, 'noarch']) as Platform[];
      let solved: Awaited<ReturnType<typeof simpleSolve>>;
      try {
        solved = await simpleSolve([...environment.specs], channels, subdirs, []);
      } catch (error) {
        throw new MirrorError(
          MirrorErrorCode.RepodataInvalid,
          `environment '${environment.name}' cannot be solved for ${platform}: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error },
        );
      }
      for (const pkg of solved) {
        try {
          const subdir = pkg.subdir ?? platform;
          let names = selection.get(subdir);
          if (!names) {
            names = new Set();
            selection.set(subdir, names);
          }
          names.add(pkg.filename);
        } finally {
          pkg.free();
        }
      }
      logger.info({ environment: environment.name, platform, packages: solved.length }, 'environment solved');
    }
  }
  return selection;
}
