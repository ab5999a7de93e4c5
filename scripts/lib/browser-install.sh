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
  log "installing chromium from Debian (apt-get)"
  local started
  started="$(now_seconds)"
  apt_install "the browser tests" chromium
  [[ -x /usr/bin/chromium ]] || die "/usr/bin/chromium is still missing after apt-get install"
  export CONDASYNC_TEST_CHROMIUM=/usr/bin/chromium
  log "installed $(/usr/bin/chromium --version 2>/dev/null) in $(($(now_seconds) - started))s"
}
