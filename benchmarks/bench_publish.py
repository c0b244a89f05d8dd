"""Publish: building the OCI side of two trees (x86_64 + aarch64).

There is no publish task in this plugin: the OCI side is made when a repository version is
(finalize_new_version -> version_rules.match_oci_side -> oci.content.oci_content_for). This
times `oci_content_for` for the repository's two trees in a Django process on the stack's
database (publish_child), built from nothing and again, and shows that no Artifact bytes are
copied: Artifact rows and MEDIA_ROOT usage before and after.
"""

import json
import os
import subprocess
import sys

from benchmarks.context import Context
from benchmarks.pulp import PREFIX
from benchmarks.report import Figure, megabytes, seconds

TARGET_S = 2.0


def publish(ctx: Context) -> list[Figure]:
    env = {**os.environ, "PULP_SETTINGS": str(ctx.settings)}
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.publish_child", PREFIX + "repo"],
        capture_output=True,
        text=True,
        env=env,
    )
    if result.returncode != 0:
        raise RuntimeError(f"publish_child failed:\n{result.stderr[-3000:]}")
    out = json.loads(result.stdout.strip().splitlines()[-1])
    if not out["deleted_before_first"]:
        ctx.notes.append("Publish: the OCI side could not be removed before the 'first' call.")
    units = ", ".join(f"{count} {kind}s" for kind, count in out["units"].items())
    arches = " + ".join(out["arches"])
    ctx.notes.append(
        f"Publish builds {units} for {arches}; the 'first' call re-created "
        f"{out['manifests_rebuilt']} manifests inside a transaction that was rolled back."
    )
    (files_before, bytes_before), (files_after, bytes_after) = out["media"]
    artifacts_before, artifacts_after = out["artifacts"]
    return [
        Figure(
            f"Publish (OCI side of {arches}), built from nothing",
            seconds(out["first_s"]),
            "-",
            "-",
            f"<= {TARGET_S:.0f} s",
            out["first_s"] <= TARGET_S,
        ),
        Figure(
            "Publish, repeated (OCI side exists)",
            f"{seconds(out['repeated_s'])} (in a fresh process: {seconds(out['existing_s'])})",
            "-",
            "-",
            f"<= {TARGET_S:.0f} s",
            max(out["repeated_s"], out["existing_s"]) <= TARGET_S,
        ),
        Figure(
            "Publish, Artifacts before -> after",
            f"{artifacts_before} -> {artifacts_after}",
            "-",
            "-",
            "no new Artifact",
            artifacts_after == artifacts_before,
        ),
        Figure(
            "Publish, MEDIA_ROOT before -> after",
            f"{megabytes(bytes_before)} / {files_before} files -> "
            f"{megabytes(bytes_after)} / {files_after} files",
            "-",
            "-",
            "no bytes added",
            bytes_after == bytes_before,
        ),
    ]
