import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

const cliBin = join(import.meta.dirname, '../../apps/cli/bin/condasync.js');

export interface RunningRole {
  child: ChildProcess;
  /** Everything the process wrote so far (pino JSON lines and anything else). */
  output(): string;
  /** Sends `signal` and waits for the exit; SIGKILL after `graceMs`. Resolves with the exit code or signal. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | string>;
}

/**
 * Starts `condasync <role>` as a real child process, as an operator would, and waits for the log
 * line that says it is ready. Tests stop what they start.
 */
export async function startRole(
  role: 'worker' | 'api',
  env: Record<string, string>,
  ready: RegExp = role === 'worker' ? /"msg":"worker started"/ : /Server listening|"msg":"api started"/,
  /** Another checkout's CLI (a benchmark's "before"); this checkout's by default. */
  bin: string = cliBin,
): Promise<RunningRole> {
  const child = spawn(process.execPath, [bin, role], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Not left running: its open pipes would keep the test process alive after the failure.
      child.kill('SIGKILL');
      reject(new Error(`condasync ${role} did not start within 20 s:\n${output}`));
    }, 20_000);
    const check = (): void => {
      if (ready.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', check);
    child.stderr?.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`condasync ${role} exited (${code}) before it was ready:\n${output}`));
    });
  });
  return {
    child,
    output: () => output,
    stop: async (signal = 'SIGTERM', graceMs = 30_000) => {
      if (child.exitCode !== null || child.signalCode !== null)
        return child.exitCode ?? child.signalCode ?? 'exited';
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}
