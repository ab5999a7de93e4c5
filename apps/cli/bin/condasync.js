#!/usr/bin/env node
// Entry shim: condasync is TypeScript run by Node's type stripping, which needs Node 24.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    `condasync needs Node.js 24 or newer; this is ${process.version}. Install Node 24 (see README.md).\n`,
  );
  process.exit(2);
}
// Keeps the compiled (and type-stripped) modules on disk between runs: start-up drops from about
// 0.9 s to 0.6 s. Best effort: where the cache folder cannot be written, Node runs without it.
const { enableCompileCache } = await import('node:module');
enableCompileCache?.();
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv.slice(2));
