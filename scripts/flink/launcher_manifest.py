"""Prints a jar manifest that starts Beam's Flink job server from the jars in a lib/ folder.

Used by install.sh to make a small launcher jar that `--flink_job_server_jar` accepts.
Usage: python launcher_manifest.py LIB_DIR > MANIFEST.MF
"""

import os
import sys

MAIN_CLASS = "org.apache.beam.runners.flink.FlinkJobServerDriver"
MAX_LINE_BYTES = 72  # the jar manifest format wraps longer lines with a leading space


def manifest_lines(lib_dir: str) -> list[str]:
    """The manifest's lines: main class and a Class-Path of lib/<jar> entries."""
    jars = sorted(name for name in os.listdir(lib_dir) if name.endswith(".jar"))
    class_path = "Class-Path: " + " ".join(f"lib/{name}" for name in jars)
    wrapped = [class_path[:MAX_LINE_BYTES]]
    rest = class_path[MAX_LINE_BYTES:]
    while rest:
        wrapped.append(" " + rest[:MAX_LINE_BYTES - 1])
        rest = rest[MAX_LINE_BYTES - 1:]
    return ["Manifest-Version: 1.0", f"Main-Class: {MAIN_CLASS}", *wrapped, ""]


if __name__ == "__main__":
    sys.stdout.write("\n".join(manifest_lines(sys.argv[1])) + "\n")
