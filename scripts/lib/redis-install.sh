# shellcheck shell=bash
# redis-server from Debian when the machine lacks it. Sourced by scripts/test.sh after common.sh.

ensure_redis_server() {
  if command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1; then
    log "$(redis-server --version | cut -d' ' -f1-3)"
    return
  fi
  [[ "$(id -u)" == "0" ]] ||
    die "redis-server is not installed and installing it needs root: run 'sudo apt-get install -y redis-server', then npm test again"
  command -v apt-get >/dev/null 2>&1 || die "redis-server is not installed and apt-get is missing: install Redis >= 6.2 by hand"

  log "installing redis-server from Debian (apt-get)"
  local started apt_log policy_rc_d=/usr/sbin/policy-rc.d added_policy=0
  started="$(now_seconds)"
  apt_log="$(mktemp)"
  # The package's post-install would start a system-wide Redis on 6379 that nobody stops; the
  # tests start their own. Debian's policy-rc.d hook (exit 101 = "not allowed") prevents that.
  if [[ ! -e "$policy_rc_d" ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy_rc_d"
    chmod +x "$policy_rc_d"
    added_policy=1
  fi
  local status=0
  {
    DEBIAN_FRONTEND=noninteractive apt-get update -q &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends redis-server
  } >"$apt_log" 2>&1 || status=$?
  if ((added_policy)); then
    rm -f "$policy_rc_d"
  fi
  if ((status != 0)); then
    log_tail "$apt_log"
    die "apt-get install redis-server failed (exit $status)"
  fi
  rm -f "$apt_log"
  command -v redis-server >/dev/null 2>&1 || die "redis-server is still missing after apt-get install"
  log "installed $(redis-server --version | cut -d' ' -f1-3) in $(($(now_seconds) - started))s"
}
