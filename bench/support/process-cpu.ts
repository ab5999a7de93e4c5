// CPU seconds of other processes (worker children, servers), read from /proc: on a shared two-core
// machine they say where the time went better than wall time does.
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ; 100 on every Linux build in use). */
const TICKS_PER_SECOND = 100;

/** User + system CPU seconds of process `pid` so far, or null when it is gone or not on Linux. */
export function processCpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 (utime, stime) of proc(5), here at 11 and 12 after dropping pid and comm.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return Number.isFinite(ticks) ? ticks / TICKS_PER_SECOND : null;
}
