# shellcheck shell=bash
# The Python virtualenv .venv with the tools in scripts/requirements-test.txt. Sourced by
# scripts/test.sh after common.sh.

readonly VENV_DIR="$REPO_ROOT/.venv"
readonly VENV_REQUIREMENTS="$REPO_ROOT/scripts/requirements-test.txt"

# conda-index 0.13 imports conda.models.version.VersionOrder and
# conda.base.constants.PLATFORM_DIRECTORIES, and conda itself is not installable from PyPI (its
# last release there is 4.3.16 from 2017). This stand-in provides exactly those two names, with
# rattler's Version (which implements conda's version ordering) behind VersionOrder. Run
# conda-index with --no-current-repodata: that path needs the real conda solver.
install_conda_stand_in() {
  local site_packages
  site_packages="$("$VENV_DIR/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  if "$VENV_DIR/bin/python" -c 'import conda.models.version' >/dev/null 2>&1; then
    return # a real conda is importable: never shadow it
  fi
  mkdir -p "$site_packages/conda/models" "$site_packages/conda/base"
  cat >"$site_packages/conda/__init__.py" <<'PY'
"""Stand-in for the two names conda-index imports from conda (written by scripts/test.sh)."""

__version__ = "0.0.0+condasync-stand-in"
PY
  : >"$site_packages/conda/models/__init__.py"
  : >"$site_packages/conda/base/__init__.py"
  cat >"$site_packages/conda/models/version.py" <<'PY'
"""conda's VersionOrder, backed by rattler's Version (same ordering rules as conda)."""

import functools

from rattler import Version


@functools.total_ordering
class VersionOrder:
    def __init__(self, version):
        self.norm_version = str(version)
        self._version = Version(self.norm_version)

    def __eq__(self, other):
        return isinstance(other, VersionOrder) and self._version == other._version

    def __lt__(self, other):
        return self._version < other._version

    def __hash__(self):
        return hash(self.norm_version)

    def __str__(self):
        return self.norm_version

    def __repr__(self):
        return f"VersionOrder({self.norm_version!r})"
PY
  cat >"$site_packages/conda/base/constants.py" <<'PY'
"""The subdirs conda knows, as conda.base.constants.PLATFORM_DIRECTORIES lists them."""

PLATFORM_DIRECTORIES = (
    "noarch",
    "emscripten-wasm32",
    "wasi-wasm32",
    "freebsd-64",
    "linux-32",
    "linux-64",
    "linux-aarch64",
    "linux-armv6l",
    "linux-armv7l",
    "linux-ppc64",
    "linux-ppc64le",
    "linux-riscv64",
    "linux-s390x",
    "osx-64",
    "osx-arm64",
    "win-32",
    "win-64",
    "win-arm64",
    "zos-z",
)
PY
}

# Creates or reuses .venv. Reused when the requirements, this file and the Python version are
# unchanged (the stamp holds their hash).
ensure_python_venv() {
  local python
  python="$(command -v python3 || true)"
  [[ -n "$python" ]] || die "python3 is missing: install Python >= 3.10 (Debian: apt-get install -y python3 python3-venv)"
  "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' ||
    die "$python is $("$python" --version 2>&1); the test tools need Python >= 3.10"

  local stamp="$VENV_DIR/.condasync-requirements-stamp"
  local wanted
  wanted="$(hash_files "$VENV_REQUIREMENTS" "${BASH_SOURCE[0]}")-$("$python" --version 2>&1 | tr ' ' '-')"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$wanted" && -x "$VENV_DIR/bin/python" ]]; then
    log "python venv up to date ($("$VENV_DIR/bin/python" --version))"
    return
  fi

  log "creating .venv with $("$python" --version) from scripts/requirements-test.txt"
  local started install_log
  started="$(now_seconds)"
  install_log="$(mktemp)"
  rm -rf "$VENV_DIR"
  if ! "$python" -m venv "$VENV_DIR" >"$install_log" 2>&1; then
    # Debian's own python3 needs python3-venv for ensurepip.
    if [[ "$(id -u)" != "0" ]] || ! command -v apt-get >/dev/null 2>&1; then
      log_tail "$install_log"
      die "$python -m venv failed; install python3-venv"
    fi
    log "python -m venv failed: installing python3-venv from Debian"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv >>"$install_log" 2>&1 ||
      { log_tail "$install_log"; die "apt-get install python3-venv failed"; }
    rm -rf "$VENV_DIR"
    "$python" -m venv "$VENV_DIR" >>"$install_log" 2>&1 || { log_tail "$install_log"; die "$python -m venv failed"; }
  fi
  if ! "$VENV_DIR/bin/pip" install --disable-pip-version-check --no-input --quiet \
    -r "$VENV_REQUIREMENTS" >>"$install_log" 2>&1; then
    log_tail "$install_log"
    die "pip install -r scripts/requirements-test.txt failed"
  fi
  install_conda_stand_in
  if ! "$VENV_DIR/bin/python" -c 'import moto.server, conda_package_handling, rattler, conda_index.index' >>"$install_log" 2>&1; then
    log_tail "$install_log"
    die "the test tools do not import after installing them"
  fi
  rm -f "$install_log"
  printf '%s\n' "$wanted" >"$stamp"
  log "python venv ready in $(($(now_seconds) - started))s"
}
