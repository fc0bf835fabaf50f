"""`starling new NAME --template T`: scaffolds a pipeline project from a template."""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

from pipelines.errors import StarlingError

REPOSITORY = Path(__file__).resolve().parents[2]
TEMPLATES = REPOSITORY / "templates"
SCHEMAS = REPOSITORY / "schemas"
_SKIPPED = shutil.ignore_patterns("__pycache__", "*.pyc", "runs", ".pytest_cache", "data")


def available_templates() -> list[str]:
    """Template names (directories of templates/ holding a pipeline.py)."""
    if not TEMPLATES.is_dir():
        return []
    return sorted(p.name for p in TEMPLATES.iterdir() if (p / "pipeline.py").is_file())


def add_new_command(subparsers: argparse._SubParsersAction) -> None:
    """Registers `new`."""
    parser = subparsers.add_parser("new", help="create a pipeline project from a template")
    parser.add_argument("name", help="the project's directory name")
    parser.add_argument("--template", default="ctr", help="one of: " + ", ".join(available_templates()))
    parser.add_argument("--dir", default=".", help="where to create it (default: here)")
    parser.set_defaults(handler=create_project)


def scaffold(name: str, template: str, parent: str = ".") -> Path:
    """Copies a template (and its curated schema, as schema.pbtxt) to `<parent>/<name>`.

    Raises:
        StarlingError: unknown template, a bad name, or the directory already exists.
    """
    if template not in available_templates():
        raise StarlingError(f"unknown template '{template}' (available: {', '.join(available_templates())})")
    if not name or os.sep in name or name.startswith("."):
        raise StarlingError(f"project name {name!r}: use a plain directory name")
    target = Path(parent) / name
    if target.exists():
        raise StarlingError(f"{target} already exists; refusing to overwrite it")
    shutil.copytree(TEMPLATES / template, target, ignore=_SKIPPED)
    schema = SCHEMAS / f"{template}.pbtxt"
    if schema.is_file():
        shutil.copyfile(schema, target / "schema.pbtxt")
    return target


def create_project(args: argparse.Namespace) -> int:
    """Scaffolds and says what to do next."""
    target = scaffold(args.name, args.template, args.dir)
    print(f"Created {target} from the '{args.template}' template.\n"
          f"  cd {target}\n  starling run pipeline.py      # run it\n"
          f"  python -m pytest tests        # its tests")
    return 0
