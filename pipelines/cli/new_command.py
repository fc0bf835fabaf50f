"""`starling new NAME --template T`: scaffolds a pipeline project from a template.

The commands it prints are the template README's first code block, with `starling` and `python`
written as the absolute paths of this installation's, so they work as printed in a fresh shell
with no virtualenv activated. The new project's README carries the same paths.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
from pathlib import Path

from pipelines.errors import StarlingError

REPOSITORY = Path(__file__).resolve().parents[2]
TEMPLATES = REPOSITORY / "templates"
SCHEMAS = REPOSITORY / "schemas"
DEFAULT_TEMPLATE = "ctr"
_SKIPPED = shutil.ignore_patterns("__pycache__", "*.pyc", "runs", ".pytest_cache", "data", "serving")
_FENCE = "```"
_LOCAL_COMMAND = re.compile(r"^(starling|python)(?= )", re.MULTILINE)


def available_templates() -> list[str]:
    """Template names (directories of templates/ holding a pipeline.py)."""
    if not TEMPLATES.is_dir():
        return []
    return sorted(p.name for p in TEMPLATES.iterdir() if (p / "pipeline.py").is_file())


def add_new_command(subparsers: argparse._SubParsersAction) -> None:
    """Registers `new`."""
    parser = subparsers.add_parser("new", help="create a pipeline project from a template")
    parser.add_argument("name", help="the project's directory name")
    parser.add_argument("--template", default=None,
                        help=f"one of: {', '.join(available_templates())} (default: {DEFAULT_TEMPLATE})")
    parser.add_argument("--dir", default=".", help="where to create it (default: here)")
    parser.set_defaults(handler=create_project)


def installed_commands() -> dict[str, str]:
    """The absolute `starling` and `python` of this installation, as a fresh shell can call them."""
    python = sys.executable
    starling = Path(python).with_name("starling")
    return {"python": python,
            "starling": str(starling) if starling.is_file() else f"{python} -m pipelines.cli.main"}


def localize_commands(markdown: str, commands: dict[str, str]) -> str:
    """`markdown` with each fenced code line that starts with `starling`/`python` made absolute."""
    parts = markdown.split(_FENCE)
    for index in range(1, len(parts), 2):  # odd parts are inside fences
        parts[index] = _LOCAL_COMMAND.sub(lambda match: commands[match.group(1)], parts[index])
    return _FENCE.join(parts)


def first_steps(markdown: str) -> list[str]:
    """The command lines of the README's first fenced code block."""
    parts = markdown.split(_FENCE)
    if len(parts) < 3:
        return []
    body = parts[1].split("\n", 1)[1] if "\n" in parts[1] else ""
    return [line for line in body.splitlines() if line.strip()]


def scaffold(name: str, template: str, parent: str = ".") -> Path:
    """Copies a template (and its curated schema, as schema.pbtxt) to `<parent>/<name>`.

    The project's README gets this installation's absolute `starling` and `python` commands.

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
    readme = target / "README.md"
    if readme.is_file():
        readme.write_text(localize_commands(readme.read_text(), installed_commands()))
    return target


def create_project(args: argparse.Namespace) -> int:
    """Scaffolds and prints the first steps, as commands that work in a fresh shell."""
    template = args.template or DEFAULT_TEMPLATE
    target = scaffold(args.name, template, args.dir)
    how = ("" if args.template else
           f" (the default; others: {', '.join(t for t in available_templates() if t != template)})")
    readme = target / "README.md"
    steps = first_steps(readme.read_text()) if readme.is_file() else []
    print(f"Created {target} from the '{template}' template{how}.\nNext, in any shell:\n"
          f"  cd {target}")
    for step in steps:
        print(f"  {step}")
    return 0
