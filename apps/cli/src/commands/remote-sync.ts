import type { SyncProgress } from '@condasync/mirror';
import type { SyncView } from '@condasync/queue';
import { formatBytes } from '../format.ts';
import { ProgressReporter } from '../progress.ts';
import { ExitCode, UsageError } from './exit-codes.ts';

const TERMINAL = new Set(['succeeded', 'partial', 'failed', 'cancelled']);

/**
 * `condasync sync -f FILE --server URL`: submits the config to the API as YAML (the server
 * validates it and answers every problem at once) and follows the sync until it ends.
 */
export async function remoteSync(options: {
  server: string;
  configText: string;
  token: string | null;
  json: boolean;
  /** `--reset`: the server's plan forgets cached upstream state and re-hashes stored files. */
  reset?: boolean;
  out: NodeJS.WritableStream;
  pollMs?: number;
}): Promise<number> {
  const base = options.server.replace(/\/+$/, '');
  const headers: Record<string, string> = { 'content-type': 'application/yaml' };
  if (options.token) headers['authorization'] = `Bearer ${options.token}`;
  const response = await fetch(`${base}/v1/syncs${options.reset ? '?reset=true' : ''}`, {
    method: 'POST',
    headers,
    body: options.configText,
  }).catch((error: unknown) => {
    throw new UsageError(`cannot reach the condasync API at ${base}: ${(error as Error).message}`);
  });
  const body = (await response.json().catch(() => ({}))) as {
    id?: string;
    error?: { code: string; message: string; details?: Array<{ path: string; message: string }> };
  };
  if (response.status !== 202 || body.id === undefined) {
    const details = body.error?.details?.map((d) => `\n  ${d.path || '(file)'}: ${d.message}`).join('') ?? '';
    process.stderr.write(
      `error: the server refused the sync (HTTP ${response.status}): ${body.error?.message ?? ''}${details}\n`,
    );
    return response.status === 400 ? ExitCode.Usage : ExitCode.Failed;
  }
  process.stderr.write(`sync ${body.id} submitted to ${base}\n`);
  const progress = new ProgressReporter({ stream: process.stderr, logger: () => undefined });
  let view: SyncView;
  try {
    for (;;) {
      const poll = await fetch(`${base}/v1/syncs/${body.id}`, { headers });
      view = (await poll.json()) as SyncView;
      progress.update(toProgress(view));
      if (TERMINAL.has(view.status)) break;
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 1000));
    }
  } finally {
    progress.stop();
  }
  if (options.json) {
    options.out.write(`${JSON.stringify(view, null, 2)}\n`);
  } else {
    options.out.write(
      `Sync ${view.id} ${view.status}: ${view.counts.downloaded} downloaded (${formatBytes(view.bytes.downloaded)}), ` +
        `${view.counts.skipped} already present, ${view.counts.failed} failed.\n`,
    );
    for (const f of view.failures) options.out.write(`  ${f.subdir}/${f.filename}: ${f.reason}\n`);
    if (view.collisions.total > 0) {
      options.out.write(
        `${view.collisions.total} filename collision(s) between channels (the first channel wins):\n`,
      );
      for (const c of view.collisions.first)
        options.out.write(`  ${c.subdir}/${c.filename}: kept ${c.kept}, dropped ${c.dropped}\n`);
    }
    if (view.error) options.out.write(`error: ${view.error}\n`);
  }
  if (view.status === 'succeeded') return ExitCode.Ok;
  return view.status === 'partial' ? ExitCode.Partial : ExitCode.Failed;
}

function toProgress(view: SyncView): SyncProgress {
  const phase =
    view.status === 'queued' || view.status === 'planning'
      ? 'planning'
      : view.status === 'downloading'
        ? 'downloading'
        : view.status === 'finalizing'
          ? 'finalizing'
          : 'done';
  return {
    phase,
    packagesTotal: view.counts.planned,
    packagesDone: view.counts.downloaded + view.counts.failed,
    packagesFailed: view.counts.failed,
    bytesTotal: view.bytes.planned,
    bytesDone: view.bytes.downloaded,
  };
}
