// A condasync role (`api`, `worker`, `sync …`) as a real child process with an environment given
// in full (nothing inherited), its stdout and stderr kept apart, and its exit timed.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

const cliBin = join(import.meta.dirname, '../../apps/cli/bin/condasync.js');

export interface RoleExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Milliseconds from the spawn (or from the signal, for stop()) to the exit. */
  ms: number;
}

export interface RoleProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stdout + stderr; rejects after `timeoutMs` or on exit. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /**
   * Resolves when the process exits by itself, timed from the spawn. One still running after
   * `killAfterMs` is SIGKILLed (the result then says `signal: 'SIGKILL'`), so a hang fails a test
   * instead of stalling it.
   */
  exited(killAfterMs?: number): Promise<RoleExit>;
  /** Sends `signal`, waits for the exit (SIGKILL after `killAfterMs`), timed from the signal. */
  stop(signal?: NodeJS.Signals, killAfterMs?: number): Promise<RoleExit>;
}

export function spawnRole(args: string[], env: Record<string, string>): RoleProcess {
  const started = Date.now();
  const child = spawn(process.execPath, [cliBin, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() }));
  });
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    async waitFor(pattern, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = (stdout + stderr).match(pattern);
        if (match !== null) return match;
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`condasync ${args[0]} exited before printing ${pattern}:\n${stdout}${stderr}`);
        }
        if (Date.now() > deadline) {
          throw new Error(
            `condasync ${args[0]} printed no ${pattern} within ${timeoutMs} ms:\n${stdout}${stderr}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async exited(killAfterMs = 60_000) {
      const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      const { code, signal, at } = await exit;
      clearTimeout(timer);
      return { code, signal, ms: at - started };
    },
    async stop(signal = 'SIGTERM', killAfterMs = 60_000) {
      const sentAt = Date.now();
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      const { code, signal: by, at } = await exit;
      clearTimeout(timer);
      return { code, signal: by, ms: Math.max(0, at - sentAt) };
    },
  };
}
