import { type Platform, simpleSolve } from '@conda-org/rattler';
import { MirrorError, MirrorErrorCode } from '../errors.ts';
import type { Logger } from '../logger.ts';
import {
  type LoopbackChannels,
  type ProxyOptions,
  serveChannelsForSolver,
} from '../upstream/loopback-channel.ts';

/** One environment to make installable from the mirror: specs solved for each platform. */
export interface EnvironmentSpec {
  name: string;
  specs: readonly string[];
  platforms: readonly string[];
  /** Exact `<subdir>/<filename>` entries from an explicit lockfile: taken as they are. */
  explicit?: readonly string[];
  /** The environment file the CLI expands; left unexpanded it cannot be solved. */
  file?: string | null;
}

/** subdir → filenames that some environment's solution needs. */
export type SolvedSelection = Map<string, Set<string>>;

/**
 * Solves every environment with rattler's solver (the one behind pixi) against the upstream
 * channels and returns the union of the solutions: an installable subset far smaller than a
 * dependency closure, which takes every version of every dependency. rattler fetches the
 * repodata it needs itself (sharded when the upstream offers it), so it is given loopback URLs
 * for the duration: a file:// channel's folder served as is, an http(s) channel proxied through
 * `proxy.http`, so that its fetches follow the same address policy and deadlines as ours.
 */
export async function solveEnvironments(
  environments: readonly EnvironmentSpec[],
  channelUrls: readonly string[],
  logger: Logger,
  proxy: ProxyOptions,
): Promise<SolvedSelection> {
  const selection: SolvedSelection = new Map();
  // Started at the first solve (explicit lockfile entries need none) and stopped at the end.
  let gateway: LoopbackChannels | undefined;
  const channels = async (): Promise<string[]> => {
    gateway ??= await serveChannelsForSolver(channelUrls, proxy);
    return gateway.urls;
  };
  try {
    await solveEach(environments, channels, selection, logger);
  } finally {
    await gateway?.close();
  }
  return selection;
}

async function solveEach(
  environments: readonly EnvironmentSpec[],
  channels: () => Promise<string[]>,
  selection: SolvedSelection,
  logger: Logger,
): Promise<void> {
  const add = (subdir: string, filename: string): void => {
    let names = selection.get(subdir);
    if (!names) {
      names = new Set();
      selection.set(subdir, names);
    }
    names.add(filename);
  };
  for (const environment of environments) {
    const explicit = environment.explicit ?? [];
    if (environment.specs.length === 0 && explicit.length === 0) {
      throw new MirrorError(
        MirrorErrorCode.ConfigInvalid,
        `environment '${environment.name}' refers to the file ${environment.file ?? '(none)'}, which only the CLI reads; ` +
          'give its specs inline when posting to the API',
        { details: [{ path: 'environments', message: `environment '${environment.name}' has no specs` }] },
      );
    }
    for (const entry of explicit) {
      const slash = entry.indexOf('/');
      add(entry.slice(0, slash), entry.slice(slash + 1));
    }
    if (environment.specs.length === 0) continue;
    for (const platform of environment.platforms) {
      // noarch is always solved alongside: most environments need noarch packages.
      const subdirs = (platform === 'noarch' ? ['noarch'] : [platform, 'noarch']) as Platform[];
      let solved: Awaited<ReturnType<typeof simpleSolve>>;
      try {
        solved = await simpleSolve([...environment.specs], await channels(), subdirs, []);
      } catch (error) {
        throw new MirrorError(
          MirrorErrorCode.RepodataInvalid,
          `environment '${environment.name}' cannot be solved for ${platform}: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error },
        );
      }
      for (const pkg of solved) {
        try {
          add(pkg.subdir ?? platform, pkg.filename);
        } finally {
          pkg.free();
        }
      }
      logger.info({ environment: environment.name, platform, packages: solved.length }, 'environment solved');
    }
  }
}
