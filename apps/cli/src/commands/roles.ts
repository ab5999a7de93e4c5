import { ExitCode } from './exit-codes.ts';

/** `condasync worker`: one worker process (plan, package and finalize jobs) until SIGTERM. */
export async function workerCommand(): Promise<number> {
  const { runWorkerProcess } = await import('@condasync/worker');
  await runWorkerProcess();
  return ExitCode.Ok;
}

/** `condasync api`: the REST API and channel server until SIGTERM. */
export async function apiCommand(): Promise<number> {
  const { startApiServer } = await import('@condasync/api');
  await startApiServer();
  return ExitCode.Ok;
}
