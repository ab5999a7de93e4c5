# shellcheck shell=bash
# Redis and the S3 server (moto) on free loopback ports. Sourced by scripts/test.sh after
# common.sh; needs TEST_TMP (a scratch folder the caller removes) and VENV_DIR.

SERVICE_PIDS=()
SERVICE_NAMES=()

REDIS_PORT=""
REDIS_LOG=""
REDIS_PID=""
S3_PORT=""
S3_LOG=""
S3_PID=""

# Starts both servers without waiting for them (wait_for_services does), so they boot while the
# type check and the linter run.
launch_services() {
  mkdir -p "$TEST_TMP/redis" "$TEST_TMP/s3"

  REDIS_PORT="$(free_port)"
  REDIS_LOG="$TEST_TMP/redis/redis.log"
  # noeviction + AOF is what production requires (/readyz checks it); --save '' turns off RDB
  # snapshots, which the tests do not need.
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$TEST_TMP/redis" \
    --appendonly yes --maxmemory-policy noeviction --save '' \
    --daemonize no --logfile '' >"$REDIS_LOG" 2>&1 &
  REDIS_PID=$!
  SERVICE_PIDS+=("$REDIS_PID")
  SERVICE_NAMES+=("redis")

  S3_PORT="$(free_port)"
  S3_LOG="$TEST_TMP/s3/moto.log"
  (cd "$TEST_TMP/s3" && exec "$VENV_DIR/bin/moto_server" -H 127.0.0.1 -p "$S3_PORT") >"$S3_LOG" 2>&1 &
  S3_PID=$!
  SERVICE_PIDS+=("$S3_PID")
  SERVICE_NAMES+=("s3")
}

# Polls `probe` until it succeeds, the process dies or `timeout` seconds pass.
wait_until_ready() {
  local name="$1" pid="$2" logfile="$3" timeout="$4"
  shift 4
  local deadline=$(($(now_seconds) + timeout))
  until "$@" >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "$name exited during start-up; its log:"
      log_tail "$logfile"
      die "$name did not start"
    fi
    if (($(now_seconds) >= deadline)); then
      log "$name did not answer within ${timeout}s; its log:"
      log_tail "$logfile"
      die "$name did not start"
    fi
    sleep 0.2
  done
}

http_answers() {
  node -e 'fetch(process.argv[1]).then((r) => process.exit(r.status < 500 ? 0 : 1), () => process.exit(1))' "$1"
}

wait_for_services() {
  local started
  started="$(now_seconds)"
  wait_until_ready "redis" "$REDIS_PID" "$REDIS_LOG" 30 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping
  wait_until_ready "s3 (moto_server)" "$S3_PID" "$S3_LOG" 60 http_answers "http://127.0.0.1:$S3_PORT/"
  export CONDASYNC_TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
  export CONDASYNC_TEST_S3_ENDPOINT="http://127.0.0.1:$S3_PORT"
  log "redis at $CONDASYNC_TEST_REDIS_URL, s3 at $CONDASYNC_TEST_S3_ENDPOINT (ready in $(($(now_seconds) - started))s)"
}

# TERM to every service started here, KILL to any still alive after 5 s.
stop_services() {
  local i pid
  for i in "${!SERVICE_PIDS[@]}"; do
    pid="${SERVICE_PIDS[$i]}"
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
    fi
  done
  local deadline=$(($(now_seconds) + 5))
  for i in "${!SERVICE_PIDS[@]}"; do
    pid="${SERVICE_PIDS[$i]}"
    while kill -0 "$pid" 2>/dev/null && (($(now_seconds) < deadline)); do
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "${SERVICE_NAMES[$i]} (pid $pid) ignored SIGTERM: killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
  SERVICE_PIDS=()
  SERVICE_NAMES=()
}
