// Serves a channel folder for manual checks and benchmarks:
//   node test/support/fixture-upstream-cli.ts --root DIR [--port N] [--token T] [--latency-ms MS]
// Prints the channel URL, serves until SIGINT or SIGTERM.
import { parseArgs } from 'node:util';
import { startFixtureUpstream } from './fixture-upstream.ts';

const USAGE =
  'usage: node test/support/fixture-upstream-cli.ts --root DIR [--port N] [--token T] [--latency-ms MS]\n';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      root: { type: 'string' },
      port: { type: 'string', default: '0' },
      token: { type: 'string' },
      'latency-ms': { type: 'string', default: '0' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (values.root === undefined) {
    process.stderr.write(`--root is required\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`--port ${values.port} is not valid: expected an integer from 0 to 65535\n`);
    process.exitCode = 2;
    return;
  }
  const latencyMs = Number(values['latency-ms']);
  if (!Number.isFinite(latencyMs) || latencyMs < 0) {
    process.stderr.write(`--latency-ms ${values['latency-ms']} is not valid: expected milliseconds >= 0\n`);
    process.exitCode = 2;
    return;
  }
  const upstream = await startFixtureUpstream({
    root: values.root,
    port,
    latencyMs,
    ...(values.token === undefined ? {} : { token: values.token }),
  });
  process.stdout.write(`serving ${values.root} at ${upstream.channelUrl()}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await upstream.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
