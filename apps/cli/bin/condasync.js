#!/usr/bin/env node
// Entry shim: condasync is TypeScript run by Node's type stripping, which needs Node 24.
// libuv's thread pool (4 threads unless told) runs every file-system call, fsync included, and is
// sized once, at its first use, which module loading already makes. With 4, a worker's or a local
// sync's 16 package jobs on a folder store queued behind each other's fsyncs instead of waiting on
// the upstream (BENCHMARKS.md, "Distributed mode"). An operator's own UV_THREADPOOL_SIZE stays.
process.env.UV_THREADPOOL_SIZE ??= '64';
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    `condasync needs Node.js 24 or newer; this is ${process.version}. Run ./condasync from the repository instead: it installs the pinned Node by itself (README.md).\n`,
  );
  process.exit(2);
}
// Keeps the compiled (and type-stripped) modules on disk between runs: start-up drops from about
// 0.9 s to 0.2 s. The folder is made here first (not recursively), and the cache left off if that
// fails: Node 24's recursive mkdir, which enableCompileCache() uses, spins forever on a folder it
// cannot create (seen with TMPDIR=/proc).
const { enableCompileCache } = await import('node:module');
const { mkdirSync } = await import('node:fs');
const { tmpdir } = await import('node:os');
const { join } = await import('node:path');
try {
  const cacheDir = join(tmpdir(), 'node-compile-cache');
  try {
    mkdirSync(cacheDir);
  } catch (error) {
    if (error?.code !== 'EEXIST') throw error;
  }
  enableCompileCache?.(cacheDir);
} catch {
  // No writable temp folder: run without the cache.
}
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv.slice(2));
