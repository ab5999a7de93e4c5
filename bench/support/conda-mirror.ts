// Running peer commands from the benches that compare with conda-mirror (PyPI 0.10.0).
import { spawnSync } from 'node:child_process';

/** The subdirs of the generated bench channels (bench-channel.ts), which conda-mirror runs once each. */
export const BENCH_SUBDIRS = ['linux-64', 'noarch'] as const;

/** Runs a command to completion; returns wall seconds. Exits outside `okCodes` fail loudly. */
export function timedCommand(command: string, args: string[], okCodes: readonly number[] = [0]): number {
  const started = performance.now();
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const seconds = (performance.now() - started) / 1000;
  if (result.status === null || !okCodes.includes(result.status)) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.status}:\n${result.stderr.slice(-2000)}`);
  }
  return seconds;
}

/** conda-mirror's version line; throws with the install command when it does not run. */
export function condaMirrorVersion(condaMirror: string): string {
  const version = spawnSync(condaMirror, ['--version'], { encoding: 'utf8' });
  // conda-mirror 0.10.0 prints its version and exits 1.
  if (version.error !== undefined || !/\d+\.\d+/.test(version.stdout + version.stderr))
    throw new Error(`${condaMirror} does not run: pip install conda-mirror==0.10.0`);
  return (version.stdout || version.stderr).trim();
}

/**
 * One conda-mirror run per subdir (it mirrors one platform per invocation), one download at a
 * time; returns the wall seconds of all of them.
 */
export function runCondaMirror(
  condaMirror: string,
  channelUrl: string,
  target: string,
  temp: string,
  extra: readonly string[] = [],
): number {
  let seconds = 0;
  for (const platform of BENCH_SUBDIRS) {
    seconds += timedCommand(condaMirror, [
      '--upstream-channel',
      channelUrl,
      '--target-directory',
      target,
      '--temp-directory',
      temp,
      '--platform',
      platform,
      '--num-threads',
      '1',
      ...extra,
    ]);
  }
  return seconds;
}
