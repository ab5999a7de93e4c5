#!/usr/bin/env bash
# The one test command (`npm test`): installs what the tests need, starts Redis and an S3 server
# on free loopback ports, runs the type check, the linter and every node:test file, and stops
# what it started. `npm test -- FILE…` runs only those test files. Works on a fresh Debian
# machine as root and on a developer's machine.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO_ROOT
cd "$REPO_ROOT"

# shellcheck source=scripts/lib/common.sh
source "$REPO_ROOT/scripts/lib/common.sh"
# shellcheck source=scripts/lib/node.sh
source "$REPO_ROOT/scripts/lib/node.sh"
# shellcheck source=scripts/lib/redis-install.sh
source "$REPO_ROOT/scripts/lib/redis-install.sh"
# shellcheck source=scripts/lib/browser-install.sh
source "$REPO_ROOT/scripts/lib/browser-install.sh"
# shellcheck source=scripts/lib/sentinel-install.sh
source "$REPO_ROOT/scripts/lib/sentinel-install.sh"
# shellcheck source=scripts/lib/python-venv.sh
source "$REPO_ROOT/scripts/lib/python-venv.sh"
# shellcheck source=scripts/lib/services.sh
source "$REPO_ROOT/scripts/lib/services.sh"
# shellcheck source=scripts/lib/node-tests.sh
source "$REPO_ROOT/scripts/lib/node-tests.sh"
# shellcheck source=scripts/lib/deploy-tools.sh
source "$REPO_ROOT/scripts/lib/deploy-tools.sh"

TEST_TMP=""
TEST_RUNNER_PID=""

# shellcheck disable=SC2317 # reached through the EXIT trap
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [[ -n "$TEST_RUNNER_PID" ]] && kill -0 "$TEST_RUNNER_PID" 2>/dev/null; then
    kill -TERM "$TEST_RUNNER_PID" 2>/dev/null || true
    wait "$TEST_RUNNER_PID" 2>/dev/null || true
  fi
  if ((${#SERVICE_PIDS[@]} > 0)); then
    log "stopping services"
    stop_services
  fi
  if [[ -n "$TEST_TMP" && -d "$TEST_TMP" ]]; then
    rm -rf "$TEST_TMP"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT
trap 'log "terminated"; exit 143' TERM

run_started="$(now_seconds)"

# 1. Toolchain and dependencies.
ensure_node
ensure_npm_dependencies
ensure_redis_server
ensure_chromium
ensure_redis_sentinel
ensure_python_venv
export CONDASYNC_TEST_PYTHON="$VENV_DIR/bin/python"
ensure_deploy_tools

# 2. Servers, booting while the static checks run. Tests' own temp files go under TEST_TMP too,
#    so one rm at exit removes everything.
TEST_TMP="$(mktemp -d "${TMPDIR:-/tmp}/condasync-test.XXXXXX")"
mkdir -p "$TEST_TMP/tmp"
launch_services
export TMPDIR="$TEST_TMP/tmp"

# 3. Static checks, then the tests.
collect_test_files "$@"
step_started="$(now_seconds)"
log "tsc --noEmit -p tsconfig.json"
npx --no-install tsc --noEmit -p tsconfig.json || die "type check failed"
log "biome check . (tsc took $(($(now_seconds) - step_started))s)"
npx --no-install biome check . || die "biome check failed"

wait_for_services
status=0
run_node_tests || status=$?
log "stopping services"
stop_services
log "total $(($(now_seconds) - run_started))s, exit $status"
printf '%s\n' "$TEST_SUMMARY_LINE"
exit "$status"
