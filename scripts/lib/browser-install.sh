# shellcheck shell=bash
# Chromium from Debian for the browser tests (playwright-core drives it; it never downloads a
# browser of its own). Sourced by scripts/test.sh after common.sh.

ensure_chromium() {
  local chromium="${CONDASYNC_TEST_CHROMIUM:-/usr/bin/chromium}"
  if [[ -x "$chromium" ]]; then
    log "$("$chromium" --version 2>/dev/null || echo "chromium at $chromium")"
    export CONDASYNC_TEST_CHROMIUM="$chromium"
    return
  fi
  [[ "$(id -u)" == "0" ]] ||
    die "chromium is not installed and installing it needs root: run 'sudo apt-get install -y chromium', then npm test again"
  command -v apt-get >/dev/null 2>&1 || die "chromium is not installed and apt-get is missing: install Debian's chromium by hand"

  log "installing chromium from Debian (apt-get)"
  local started apt_log status=0
  started="$(now_seconds)"
  apt_log="$(mktemp)"
  {
    DEBIAN_FRONTEND=noninteractive apt-get update -q &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium
  } >"$apt_log" 2>&1 || status=$?
  if ((status != 0)); then
    log_tail "$apt_log"
    die "apt-get install chromium failed (exit $status)"
  fi
  rm -f "$apt_log"
  [[ -x /usr/bin/chromium ]] || die "/usr/bin/chromium is still missing after apt-get install"
  export CONDASYNC_TEST_CHROMIUM=/usr/bin/chromium
  log "installed $(/usr/bin/chromium --version 2>/dev/null) in $(($(now_seconds) - started))s"
}
