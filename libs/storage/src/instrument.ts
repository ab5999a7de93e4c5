import type { OperationHook } from './object-store.ts';

/** Runs `operation` and reports its duration and outcome to the metrics hook, if any. */
export async function timed<T>(
  hook: OperationHook | undefined,
  op: string,
  operation: () => Promise<T>,
): Promise<T> {
  if (hook === undefined) return operation();
  const started = performance.now();
  try {
    const result = await operation();
    report(hook, op, started, 'ok');
    return result;
  } catch (error) {
    report(hook, op, started, 'error');
    throw error;
  }
}

function report(hook: OperationHook, op: string, started: number, outcome: 'ok' | 'error'): void {
  try {
    hook(op, (performance.now() - started) / 1000, outcome);
  } catch {
    // A broken metrics hook must not turn a successful write into a failure (or hide the real error).
  }
}
