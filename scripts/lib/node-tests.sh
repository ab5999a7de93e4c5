# shellcheck shell=bash
# Finding and running the node:test files. Sourced by scripts/test.sh after common.sh.

# Where test files live. Anything named *.test.* elsewhere is an error rather than a file the
# runner silently never sees.
readonly TEST_ROOT_GLOBS=("libs/*/test" "apps/*/test" "test")
TEST_FILES=()
TEST_SUMMARY_LINE=""

# With arguments (`npm test -- FILE…`), only those files run; each must be a test file the full
# run would find.
collect_test_files() {
  local requested=("$@")
  local roots=() root
  shopt -s nullglob
  for root in "${TEST_ROOT_GLOBS[@]}"; do
    # shellcheck disable=SC2206 # the glob is meant to expand here
    local expanded=($root)
    roots+=("${expanded[@]}")
  done
  shopt -u nullglob

  mapfile -t TEST_FILES < <(
    cd "$REPO_ROOT" &&
      find "${roots[@]}" -path test/fixtures -prune -o -path '*/node_modules' -prune -o \
        -type f -name '*.test.ts' -print | sort
  )

  local strays
  strays="$(
    cd "$REPO_ROOT" &&
      find libs apps test bench scripts \
        \( -path test/fixtures -o -name node_modules -o -name .venv -o -name .tools \) -prune -o \
        -type f -name '*.test.*' -print | sort | comm -23 - <(printf '%s\n' "${TEST_FILES[@]}")
  )"
  if [[ -n "$strays" ]]; then
    log "these test files are outside libs/*/test, apps/*/test and test/, or not .test.ts, so the runner would skip them:"
    indent <<<"$strays" >&2
    die "move or rename them"
  fi
  ((${#TEST_FILES[@]} > 0)) || die "found no *.test.ts files under libs/*/test, apps/*/test or test/"
  if ((${#requested[@]} > 0)); then
    local file unknown=()
    local -A known=()
    for file in "${TEST_FILES[@]}"; do known["$file"]=1; done
    for file in "${requested[@]}"; do
      file="${file#./}"
      # A lookup, not `printf | grep -q`: grep's early exit would SIGPIPE printf under pipefail.
      [[ -n "${known[$file]:-}" ]] || unknown+=("$file")
    done
    if ((${#unknown[@]} > 0)); then
      printf '%s\n' "${unknown[@]}" | indent >&2
      die "not test files of this repository (paths are relative to its root)"
    fi
    TEST_FILES=("${requested[@]#./}")
    log "running ${#TEST_FILES[@]} of the test files, as asked"
    return
  fi
  log "found ${#TEST_FILES[@]} test files"
}

# Reads one "# <name> <count>" line of a TAP summary.
tap_count() {
  local value
  value="$(grep -E "^# $1 [0-9]+$" "$2" | tail -n 1 | cut -d' ' -f3)"
  printf '%s' "${value:-0}"
}

# Runs every test file (two at a time) under an overall time limit, then checks the run counted
# real tests: a run of zero tests, or with skipped or todo tests, fails.
run_node_tests() {
  local tap="$TEST_TMP/results.tap"
  local limit="${CONDASYNC_TEST_TIME_LIMIT:-30m}"
  log "node --test over ${#TEST_FILES[@]} files (limit $limit)"
  local started status=0
  started="$(now_seconds)"
  # `timeout` runs the runner in its own process group and, on expiry or when we forward a
  # signal, signals that whole group, so test subprocesses go too. Running it in the background
  # and `wait`ing keeps Ctrl-C responsive (wait returns as soon as a trapped signal arrives).
  (cd "$REPO_ROOT" && exec timeout --kill-after=20s "$limit" node --test \
    --test-concurrency=2 --test-timeout=300000 \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$tap" \
    "${TEST_FILES[@]}") &
  TEST_RUNNER_PID=$!
  wait "$TEST_RUNNER_PID" || status=$?
  TEST_RUNNER_PID=""
  if ((status == 124)); then
    log "the test run hit its time limit of $limit (CONDASYNC_TEST_TIME_LIMIT)"
  fi

  local tests pass fail skipped todo cancelled
  tests="$(tap_count tests "$tap")"
  pass="$(tap_count pass "$tap")"
  fail="$(tap_count fail "$tap")"
  skipped="$(tap_count skipped "$tap")"
  todo="$(tap_count todo "$tap")"
  cancelled="$(tap_count cancelled "$tap")"
  log "node --test finished in $(($(now_seconds) - started))s: $tests tests, $pass passed, $fail failed, $cancelled cancelled, $skipped skipped, $todo todo (exit $status)"
  if ((status == 0 && tests == 0)); then
    log "the runner exited 0 but ran no test"
    status=1
  fi
  # node reports a file that declared no test as one passing test named after the file.
  local empty_files
  empty_files="$(grep -E '^ok [0-9]+ - .+\.test\.ts$' "$tap" | sed -E 's/^ok [0-9]+ - //' |
    grep -Fx -f <(printf '%s\n' "${TEST_FILES[@]}") || true)"
  if [[ -n "$empty_files" ]]; then
    log "these test files declare no test:"
    indent <<<"$empty_files" >&2
    status=1
  fi
  if ((status == 0 && (skipped > 0 || todo > 0))); then
    log "skipped or todo tests are not allowed (every test must run and be able to fail)"
    status=1
  fi
  # The caller prints it last: a plain closing line that any CI log reader understands.
  # shellcheck disable=SC2034 # printed by scripts/test.sh
  TEST_SUMMARY_LINE="tests: $pass passed, $((fail + cancelled)) failed, $((skipped + todo)) skipped"
  return "$status"
}
