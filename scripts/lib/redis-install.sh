# shellcheck shell=bash
# redis-server from Debian when the machine lacks it. Sourced by scripts/test.sh after common.sh.

ensure_redis_server() {
  if command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1; then
    log "$(redis-server --version | cut -d' ' -f1-3)"
    return
  fi
  log "installing redis-server from Debian (apt-get)"
  local started
  started="$(now_seconds)"
  apt_install "the test suite" redis-server
  command -v redis-server >/dev/null 2>&1 || die "redis-server is still missing after apt-get install"
  log "installed $(redis-server --version | cut -d' ' -f1-3) in $(($(now_seconds) - started))s"
}
