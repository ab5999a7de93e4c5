# shellcheck shell=bash
# SeaweedFS (`weed`, Apache-2.0) for the S3 figures of the benchmarks (bench/distributed.bench.ts,
# bench/store-put.bench.ts): moto tops out near 40 puts/s and would hide the workers. Built once
# from its module source through the Go module proxy into .tools/bin/weed (~13 min on 2 cores).
# `go install module@version` refuses it (its go.mod has replace lines), so the module is
# downloaded and built inside its own directory. Sourced after common.sh and deploy-tools.sh;
# needs REPO_ROOT. Not part of `npm test`: no test needs it.

readonly SEAWEEDFS_MODULE="github.com/seaweedfs/seaweedfs"
# The newest version the Go module proxy served on 2026-12-01 (a pseudo-version: the project
# tags releases as 3.x/4.x, which Go does not accept as module versions).
readonly SEAWEEDFS_VERSION="v0.0.0-20261109003541-7506e5f91cd6"

# Builds .tools/bin/weed unless the binary there was built from SEAWEEDFS_VERSION; exports
# CONDASYNC_BENCH_WEED with its absolute path.
ensure_seaweedfs() {
  if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
    export PATH="$PATH:/usr/local/go/bin"
  fi
  command -v go >/dev/null 2>&1 || die "go is not installed, and SeaweedFS is built with it: install Go >= 1.$GO_MIN_MINOR"
  local binary="$DEPLOY_TOOLS_BIN/weed"
  local stamp="$DEPLOY_TOOLS_BIN/.weed.stamp"
  local recipe="$SEAWEEDFS_MODULE@$SEAWEEDFS_VERSION $(go env GOVERSION)"
  if [[ -x "$binary" && -f "$stamp" && "$(cat "$stamp")" == "$recipe" ]]; then
    log "weed $SEAWEEDFS_VERSION at .tools/bin/weed"
    export CONDASYNC_BENCH_WEED="$binary"
    return
  fi
  log "building weed (SeaweedFS) $SEAWEEDFS_VERSION from the Go module proxy; about 13 min on 2 cores"
  local started build_log status=0 gopath="$REPO_ROOT/.tools/go-weed"
  started="$(now_seconds)"
  build_log="$(mktemp)"
  mkdir -p "$DEPLOY_TOOLS_BIN" "$gopath"
  (
    export GOPATH="$gopath" GOMODCACHE="$gopath/pkg/mod" GOCACHE="$gopath/cache" \
      GOFLAGS="-modcacherw" GOTOOLCHAIN=local CGO_ENABLED=0
    cd "$gopath"
    local dir
    dir="$(go mod download -json "$SEAWEEDFS_MODULE@$SEAWEEDFS_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
    [[ -n "$dir" && -d "$dir" ]] || {
      echo "go mod download gave no module directory"
      exit 1
    }
    cd "$dir"
    go build -trimpath -ldflags "-s -w" -o "$binary.partial" ./weed
  ) >"$build_log" 2>&1 || status=$?
  if ((status != 0)); then
    log_tail "$build_log"
    rm -f "$build_log" "$binary.partial"
    die "building weed $SEAWEEDFS_VERSION failed (exit $status); the Go module proxy must serve it (GOPROXY=$(go env GOPROXY))"
  fi
  rm -f "$build_log"
  mv "$binary.partial" "$binary"
  printf '%s\n' "$recipe" >"$stamp"
  # Several GB of module and build cache that only a version bump would reuse.
  rm -rf "$gopath"
  log "built weed in $(($(now_seconds) - started))s"
  export CONDASYNC_BENCH_WEED="$binary"
}
