"""Solves and installs environments from a channel URL with py-rattler, as pixi would.

Run by test/interop/rattler-client-suite.ts (rattler-client-*.test.ts):

    python rattler_client.py '<request json>'

The request: {"channel": URL, "cache_dir": DIR, "sharded": bool, "jobs": [JOB, ...]} where a
JOB is {"specs": [...], "platform": SUBDIR, "prefix": DIR | null, "mode": "solve" | "query"}.
"solve" runs the solver over <platform> + noarch; "query" asks the gateway for exactly the named
packages (no dependencies) and keeps their .conda records, for packages whose dependencies the
channel cannot provide. A job with a prefix installs its result there. "sharded" turns CEP-16
sharded repodata on (rattler's default) or off (classic repodata.json only).

Prints one JSON line: {"jobs": [{"ok": true, "records": [...]} | {"ok": false, "error": text}]}.
Failures of a job are data (the test asserts on them); anything else is a crash with a traceback.
"""

import asyncio
import json
import os
import sys

import rattler


def describe(record):
    return {
        "name": record.name.normalized,
        "version": str(record.version),
        "build": str(record.build),
        "subdir": record.subdir,
        "file_name": record.file_name,
        "url": record.url,
        "sha256": record.sha256.hex() if record.sha256 is not None else None,
    }


async def run_job(job, channel, gateway, cache_dir):
    platform = job["platform"]
    specs = job["specs"]
    if job["mode"] == "solve":
        records = await rattler.solve(
            sources=[channel],
            specs=specs,
            gateway=gateway,
            platforms=[platform, "noarch"],
            virtual_packages=[],
            channel_relations="disabled",
        )
    else:
        result = await gateway.query(
            [channel],
            [platform, "noarch"],
            specs,
            recursive=False,
            channel_relations="disabled",
        )
        # The gateway returns both archives of a build; an environment takes one of each
        # package, and the .conda one is what a solver would pick.
        records = [
            record
            for per_source in result
            for record in per_source
            if record.file_name.endswith(".conda")
        ]
    if job.get("prefix"):
        await rattler.install(
            records,
            target_prefix=job["prefix"],
            cache_dir=f"{cache_dir}/pkgs",
            platform=rattler.Platform(platform),
            execute_link_scripts=False,
            show_progress=False,
        )
    return sorted((describe(record) for record in records), key=lambda r: r["file_name"])


async def main(request):
    cache_dir = request["cache_dir"]
    gateway = rattler.Gateway(
        cache_dir=f"{cache_dir}/repodata",
        default_config=rattler.SourceConfig(sharded_enabled=request["sharded"]),
        show_progress=False,
    )
    channel = rattler.Channel(request["channel"])
    outcomes = []
    for job in request["jobs"]:
        try:
            outcomes.append({"ok": True, "records": await run_job(job, channel, gateway, cache_dir)})
        except Exception as error:  # a failed solve or fetch is an outcome the test checks
            outcomes.append({"ok": False, "error": f"{type(error).__name__}: {error}"})
    return {"jobs": outcomes}


if __name__ == "__main__":
    sys.stdout.write(json.dumps(asyncio.run(main(json.loads(sys.argv[1])))) + "\n")
    sys.stdout.flush()
    # py-rattler 0.28 can abort in interpreter finalization (PyGILState_Release from a runtime
    # thread); the result is written, so skip finalization and exit cleanly.
    os._exit(0)
