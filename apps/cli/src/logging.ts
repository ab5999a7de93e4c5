import { Writable } from 'node:stream';
import { pino } from 'pino';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

const LEVEL_NAMES: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
const HIDDEN_KEYS = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

/**
 * The CLI's logger, on stderr so stdout stays for results. `pretty` prints one readable line per
 * record (`12:00:01 WARN message key=value`); `json` is pino's own output for log shippers.
 * `beforeWrite` lets the progress bar clear its line first. With `logFile` (a sync config's
 * `log_dir`) every record is also appended to that file as a JSON line.
 */
export function createCliLogger(
  level: LogLevel,
  format: 'pretty' | 'json',
  beforeWrite?: () => void,
  logFile?: string,
): pino.Logger {
  const console: pino.DestinationStream =
    format === 'json'
      ? pino.destination({ fd: 2, sync: true })
      : new Writable({
          write(chunk: Buffer, _encoding, callback) {
            beforeWrite?.();
            process.stderr.write(formatLine(chunk.toString('utf8')));
            callback();
          },
        });
  if (logFile === undefined) return pino({ level, base: null }, console);
  const file = pino.destination({ dest: logFile, append: true, mkdir: true, sync: true });
  return pino(
    { level, base: null },
    pino.multistream([
      { level, stream: console },
      { level, stream: file },
    ]),
  );
}

function formatLine(line: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const time = new Date(Number(record['time'])).toISOString().slice(11, 19);
  const level = LEVEL_NAMES[Number(record['level'])] ?? 'LOG';
  const fields = Object.entries(record)
    .filter(([key]) => !HIDDEN_KEYS.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  return `${time} ${level.padEnd(5)} ${String(record['msg'] ?? '')}${fields ? ` ${fields}` : ''}\n`;
}
