# shellcheck shell=bash
# redis-sentinel from Debian when the machine lacks it: the Sentinel fault test runs a primary, a
# replica and sentinels of its own on loopback ports. Sourced by scripts/test.sh after common.sh
# and redis-install.sh (the sentinel package is the same redis-server binary in sentinel mode).

ensure_redis_sentinel() {
  if command -v redis-sentinel >/dev/null 2>&1; then
    log_routine "$(redis-sentinel --version | cut -d' ' -f1-3) (sentinel)"
    return
  fi
  log "installing redis-sentinel from Debian (apt-get)"
  local started
  started="$(now_seconds)"
  apt_install "the Redis Sentinel fault test" redis-sentinel
  command -v redis-sentinel >/dev/null 2>&1 || die "redis-sentinel is still missing after apt-get install"
  log "installed redis-sentinel in $(($(now_seconds) - started))s"
}
