# shellcheck shell=bash
# helm and kubeconform for the offline chart tests (test/deploy/helm.test.ts) and promtool for the
# metrics and alert-rule tests (test/deploy/prometheus.test.ts), built from the Go module proxy
# into .tools/bin (the machines reach package registries only, so no release downloads). Sourced
# by scripts/test.sh after common.sh; needs REPO_ROOT.

readonly HELM_MODULE="helm.sh/helm/v3"
readonly HELM_VERSION="v3.22.0"
readonly KUBECONFORM_MODULE="github.com/yannh/kubeconform"
readonly KUBECONFORM_VERSION="v0.8.0"
# Prometheus 3.16.0: its Go module versions are v0.<major><minor>.<patch>.
readonly PROMTOOL_MODULE="github.com/prometheus/prometheus"
readonly PROMTOOL_VERSION="v0.316.0"
readonly PROMTOOL_RELEASE="3.16.0"
# The modules' go.mod say `go 1.26` (prometheus: 1.26.7); GOTOOLCHAIN=local never downloads a
# newer Go, so an older 1.26.x fails the build with go's own "requires go >= 1.26.7" message.
readonly GO_MIN_MINOR=26
# helm's default Kubernetes version (Capabilities.KubeVersion): the one deploy/schemas/kubernetes/
# was generated for (test/deploy/helm.test.ts passes it explicitly too).
readonly DEPLOY_KUBE_VERSION="1.35.4"

readonly DEPLOY_TOOLS_BIN="$REPO_ROOT/.tools/bin"
# The Go module and build caches stay under .tools, so a build touches nothing in $HOME.
readonly DEPLOY_TOOLS_GOPATH="$REPO_ROOT/.tools/go"
readonly DEPLOY_TOOLS_GOCACHE="$REPO_ROOT/.tools/go-build"

# The module version recorded in a Go binary's build info ("" when unreadable).
go_binary_module_version() {
  local binary="$1" module="$2"
  [[ -x "$binary" ]] || return 0
  { go version -m "$binary" 2>/dev/null || true; } | awk -v module="$module" '$1 == "mod" && $2 == module { print $3 }'
}

# go install <module>/<package>@<version> into .tools/bin, unless the binary there was built from
# that version with the same flags (a stamp beside it records how it was built). Extra arguments
# go to `go install` (e.g. -ldflags).
ensure_go_tool() {
  local name="$1" module="$2" package="$3" version="$4"
  shift 4
  local binary="$DEPLOY_TOOLS_BIN/$name"
  local stamp="$DEPLOY_TOOLS_BIN/.$name.stamp"
  local recipe have
  recipe="$module/$package@$version $(go env GOVERSION) $*"
  have="$(go_binary_module_version "$binary" "$module")"
  if [[ "$have" == "$version" && -f "$stamp" && "$(cat "$stamp")" == "$recipe" ]]; then
    log "$name $version at .tools/bin/$name"
    return
  fi
  log "building $name $version from the Go module proxy${have:+ (found $have)}"
  local started build_log status=0
  started="$(now_seconds)"
  build_log="$(mktemp)"
  mkdir -p "$DEPLOY_TOOLS_BIN" "$DEPLOY_TOOLS_GOPATH" "$DEPLOY_TOOLS_GOCACHE"
  # CGO off: static binaries and no C toolchain needed. GOTOOLCHAIN=local: never fetch another Go.
  # -modcacherw: the module cache stays deletable with a plain rm -rf .tools.
  (
    cd "$DEPLOY_TOOLS_GOPATH" &&
      env GOPATH="$DEPLOY_TOOLS_GOPATH" GOMODCACHE="$DEPLOY_TOOLS_GOPATH/pkg/mod" \
        GOCACHE="$DEPLOY_TOOLS_GOCACHE" GOBIN="$DEPLOY_TOOLS_BIN" GOFLAGS="-mod=mod -modcacherw" \
        GOTOOLCHAIN=local CGO_ENABLED=0 \
        go install -trimpath "$@" "$module/$package@$version"
  ) >"$build_log" 2>&1 || status=$?
  if ((status != 0)); then
    log_tail "$build_log"
    rm -f "$build_log"
    die "go install $module/$package@$version failed (exit $status); the Go module proxy must serve it (GOPROXY=$(go env GOPROXY))"
  fi
  rm -f "$build_log"
  have="$(go_binary_module_version "$binary" "$module")"
  [[ "$have" == "$version" ]] || die "built .tools/bin/$name but its build info says '${have:-nothing}', not $version"
  printf '%s\n' "$recipe" >"$stamp"
  DEPLOY_TOOLS_BUILT=1
  log "built $name $version in $(($(now_seconds) - started))s"
}

# Builds (once) and exports the tools the deploy tests use as absolute paths:
# CONDASYNC_TEST_HELM, CONDASYNC_TEST_KUBECONFORM and CONDASYNC_TEST_PROMTOOL.
ensure_deploy_tools() {
  # The official Go tarball's place, for shells whose PATH was not set up by a login profile.
  if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
    export PATH="$PATH:/usr/local/go/bin"
  fi
  command -v go >/dev/null 2>&1 ||
    die "go is not installed, and helm and kubeconform are built with it: install Go >= 1.$GO_MIN_MINOR (https://go.dev/doc/install)"
  local go_version go_minor
  go_version="$(go env GOVERSION)"
  go_minor="$(sed -E 's/^go1\.([0-9]+).*/\1/' <<<"$go_version")"
  if [[ ! "$go_minor" =~ ^[0-9]+$ ]] || ((go_minor < GO_MIN_MINOR)); then
    die "$go_version is too old: helm $HELM_VERSION, kubeconform $KUBECONFORM_VERSION and promtool $PROMTOOL_RELEASE need Go >= 1.$GO_MIN_MINOR (their go.mod)"
  fi
  local started
  started="$(now_seconds)"
  DEPLOY_TOOLS_BUILT=0
  # helm's Makefile sets these; without them `helm version` says v3.x and the default
  # Capabilities.KubeVersion is an old hard-coded one.
  local kube_minor="${DEPLOY_KUBE_VERSION#*.}"
  kube_minor="${kube_minor%%.*}"
  ensure_go_tool helm "$HELM_MODULE" cmd/helm "$HELM_VERSION" -ldflags "-s -w \
    -X $HELM_MODULE/internal/version.version=$HELM_VERSION \
    -X $HELM_MODULE/pkg/lint/rules.k8sVersionMajor=1 \
    -X $HELM_MODULE/pkg/lint/rules.k8sVersionMinor=$kube_minor \
    -X $HELM_MODULE/pkg/chartutil.k8sVersionMajor=1 \
    -X $HELM_MODULE/pkg/chartutil.k8sVersionMinor=$kube_minor"
  ensure_go_tool kubeconform "$KUBECONFORM_MODULE" cmd/kubeconform "$KUBECONFORM_VERSION" \
    -ldflags "-s -w -X main.version=$KUBECONFORM_VERSION"
  # The Prometheus Makefile (promu) stamps the version the same way; `promtool --version` shows it.
  # remove_all_sd leaves out the cloud service discoveries (AWS, Azure, GCE, …: most of the
  # build time); DNS, file, HTTP and static discovery stay, which is all deploy/prometheus uses.
  ensure_go_tool promtool "$PROMTOOL_MODULE" cmd/promtool "$PROMTOOL_VERSION" \
    -tags remove_all_sd,enable_dns_sd -ldflags "-s -w \
    -X github.com/prometheus/common/version.Version=$PROMTOOL_RELEASE"
  if ((DEPLOY_TOOLS_BUILT)); then
    # ~1.2 GB of module and build cache that only a version bump would reuse (and a rebuild from
    # scratch takes about as long): not worth the disk.
    rm -rf "$DEPLOY_TOOLS_GOPATH" "$DEPLOY_TOOLS_GOCACHE"
  fi
  export CONDASYNC_TEST_HELM="$DEPLOY_TOOLS_BIN/helm"
  export CONDASYNC_TEST_KUBECONFORM="$DEPLOY_TOOLS_BIN/kubeconform"
  export CONDASYNC_TEST_PROMTOOL="$DEPLOY_TOOLS_BIN/promtool"
  log "deploy tools ready in $(($(now_seconds) - started))s"
}
