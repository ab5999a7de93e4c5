"""Extracts every package of a channel folder with conda-package-handling's `cph` and checks it.

Run by test/interop/cph-validate.test.ts:

    python cph_check.py <channel dir> <scratch dir>

For each `<subdir>/*.conda` and `<subdir>/*.tar.bz2`, runs `cph extract` (the CLI's own main(),
in this process: one interpreter for all packages) into a fresh folder, then reads the extracted
info/index.json and checks every file info/paths.json lists against its sha256 and size. When the
full extraction fails, index.json comes from `cph extract --info` (metadata only), if that works.
Prints one JSON line: {"packages": [{"path", "ok", "error", "index", "files_checked"}]}.
"""

import hashlib
import json
import os
import sys
import traceback

from conda_package_handling import cli

PACKAGE_SUFFIXES = (".conda", ".tar.bz2")


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_paths(dest):
    """Every regular file info/paths.json lists is there with its recorded sha256 and size."""
    paths_json = os.path.join(dest, "info", "paths.json")
    if not os.path.exists(paths_json):
        return 0  # packages from before paths.json (conda-build < 3) list files in info/files only
    with open(paths_json) as file:
        paths = json.load(file)["paths"]
    checked = 0
    for entry in paths:
        target = os.path.join(dest, entry["_path"])
        if entry.get("path_type", "hardlink") != "hardlink":
            if not os.path.lexists(target):
                raise AssertionError(f"{entry['_path']} ({entry['path_type']}) was not extracted")
            continue
        if entry.get("sha256") and sha256_of(target) != entry["sha256"]:
            raise AssertionError(f"{entry['_path']}: sha256 differs from info/paths.json")
        if "size_in_bytes" in entry and os.path.getsize(target) != entry["size_in_bytes"]:
            raise AssertionError(f"{entry['_path']}: size differs from info/paths.json")
        checked += 1
    return checked


def check_package(channel, subdir, filename, scratch):
    source = os.path.join(channel, subdir, filename)
    dest = os.path.join(scratch, subdir, filename)
    outcome = {"path": f"{subdir}/{filename}", "ok": False, "error": None, "index": None, "files_checked": 0}
    try:
        cli.main(["extract", source, "--dest", dest])
        with open(os.path.join(dest, "info", "index.json")) as file:
            outcome["index"] = json.load(file)
        outcome["files_checked"] = check_paths(dest)
        outcome["ok"] = True
    except BaseException as error:  # SystemExit from the CLI included: a failure is data here
        outcome["error"] = f"{type(error).__name__}: {error}\n{traceback.format_exc(limit=3)}"
        # Still read the metadata when only the payload is unreadable (`cph extract --info`).
        try:
            info_dest = dest + ".info"
            cli.main(["extract", source, "--dest", info_dest, "--info"])
            with open(os.path.join(info_dest, "info", "index.json")) as file:
                outcome["index"] = json.load(file)
        except BaseException:
            pass
    return outcome


def main(channel, scratch):
    packages = []
    for subdir in sorted(os.listdir(channel)):
        folder = os.path.join(channel, subdir)
        if subdir.startswith(".") or not os.path.isdir(folder):
            continue
        for filename in sorted(os.listdir(folder)):
            if filename.endswith(PACKAGE_SUFFIXES):
                packages.append(check_package(channel, subdir, filename, scratch))
    return {"packages": packages}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2])))
