# shellcheck shell=bash
# Shared helpers for scripts/test.sh. Sourced, never executed.

log() { printf '[test] %s\n' "$*" >&2; }

die() {
  printf '[test] ERROR: %s\n' "$*" >&2
  exit 1
}

# Seconds since the epoch, for the "took Ns" log lines.
now_seconds() { date +%s; }

# sha256 of the concatenated contents of the given files (one hex string).
hash_files() { cat "$@" | sha256sum | cut -d' ' -f1; }

# A TCP port that was free on 127.0.0.1 a moment ago. The kernel picks it (port 0), so two calls
# do not collide in practice; the service start-up waits catch the rare race with a clear error.
free_port() {
  node -e '
    const server = require("node:net").createServer();
    server.listen(0, "127.0.0.1", () => {
      process.stdout.write(String(server.address().port));
      server.close();
    });
  '
}

# Indents stdin by four spaces, for lists under a log line.
indent() { sed 's/^/    /'; }

# Last lines of a service log, indented, for error messages.
log_tail() {
  local file="$1"
  if [[ -s "$file" ]]; then
    tail -n 30 "$file" | sed 's/^/    | /' >&2
  else
    printf '    | (log %s is empty)\n' "$file" >&2
  fi
}
