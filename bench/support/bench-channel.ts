// Benchmark channels: a synthetic channel generated in a child process and served by the fixture
// upstream in another, so neither counts in the measuring process's CPU time or RSS.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import path from 'node:path';

/**
 * In a child process, so the generator's buffers do not count in this process's RSS.
 * `packagesPerName` 1 gives a channel of as many package names (and shards) as packages.
 */
export function generate(outDir: string, total: number, size: string, packagesPerName?: number): void {
  // 80 % in linux-64, 20 % in noarch, as on conda-forge.
  const platform = Math.round(total * 0.8);
  const script = path.join(import.meta.dirname, '../generate-channel.ts');
  execFileSync(
    process.execPath,
    [
      script,
      '--out',
      outDir,
      '--packages',
      String(platform),
      '--noarch-packages',
      String(total - platform),
      '--size',
      size,
      ...(packagesPerName === undefined ? [] : ['--packages-per-name', String(packagesPerName)]),
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
}

/** `latencyMs`: every request is answered that long after it arrives, as from a far-away upstream. */
export async function startUpstream(
  root: string,
  options: { latencyMs?: number } = {},
): Promise<{ url: string; child: ChildProcess }> {
  const cli = path.join(import.meta.dirname, '../../test/support/fixture-upstream-cli.ts');
  const args = [cli, '--root', root, '--latency-ms', String(options.latencyMs ?? 0)];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  for await (const chunk of child.stdout!) {
    output += String(chunk);
    const match = / at (http:\/\/\S+)/.exec(output);
    if (match) return { url: match[1]!, child };
  }
  throw new Error(`fixture upstream exited before listening: ${output}`);
}
