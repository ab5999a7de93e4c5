# shellcheck shell=bash
# Shared helpers for scripts/test.sh and ./condasync. Sourced, never executed.

# The tag in front of every line these scripts print ("[test] …", "[condasync] …").
LOG_TAG="${LOG_TAG:-test}"
# 1: the routine "already there" lines are not printed (./condasync's later runs start silently).
LOG_QUIET="${LOG_QUIET:-0}"

log() { printf '[%s] %s\n' "$LOG_TAG" "$*" >&2; }

# Routine progress that a quiet caller does not want to see on every run.
log_routine() { ((LOG_QUIET)) || log "$@"; }

die() {
  printf '[%s] ERROR: %s\n' "$LOG_TAG" "$*" >&2
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

# apt-get install of Debian packages, as root only, with the output kept out of sight unless it
# fails. `why` says what they are for, in the error a non-root user sees.
apt_install() {
  local why="$1"
  shift
  [[ "$(id -u)" == "0" ]] ||
    die "$why needs $*, and installing them needs root: run 'sudo apt-get install -y $*', then try again"
  command -v apt-get >/dev/null 2>&1 || die "$why needs $*, and apt-get is missing: install them by hand"
  local apt_log policy_rc_d=/usr/sbin/policy-rc.d added_policy=0 status=0
  apt_log="$(mktemp)"
  # Packages such as redis-server would start a system-wide service on install that nobody stops;
  # Debian's policy-rc.d hook (exit 101 = "not allowed") prevents that.
  if [[ ! -e "$policy_rc_d" ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy_rc_d"
    chmod +x "$policy_rc_d"
    added_policy=1
  fi
  {
    DEBIAN_FRONTEND=noninteractive apt-get update -q &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
  } >"$apt_log" 2>&1 || status=$?
  if ((added_policy)); then
    rm -f "$policy_rc_d"
  fi
  if ((status != 0)); then
    log_tail "$apt_log"
    rm -f "$apt_log"
    die "apt-get install $* failed (exit $status)"
  fi
  rm -f "$apt_log"
}
