"""Screenshots of every UI page over the demo store, for the README (`make screenshots`).

    .venv/bin/python -m tests.ui.screenshots [docs/ui]

Builds the two-day demo store (tests/ui/demo_store.py) in a temporary directory, serves the UI
on a loopback port and saves one PNG per page with Debian's Chromium driven by Playwright.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from pipelines.ui import StoreSource, create_app
from tests.ui.browser import CHROMIUM_ARGS, ensure_chromium, serving
from tests.ui.demo_store import build_demo_store

VIEWPORT = {"width": 1400, "height": 900}


def page_paths(results: list) -> dict[str, str]:
    """Screenshot name -> the page's path, over the demo store's two runs."""
    first, second = results
    return {
        "runs": "/runs?columns=span,auc,mean_squared_error,fixed_model.weight_x",
        "run": f"/runs/{second.run_id}",
        "compare": f"/compare?runs={first.run_id},{second.run_id}",
        "lineage": f"/artifacts/{second.output('fixed_model', 'model').id}",
        "schema": f"/artifacts/{second.output('SchemaGen', 'schema').id}",
        "evaluation": f"/artifacts/{second.output('Evaluator', 'evaluation').id}",
        "models": "/models",
        "artifacts": "/artifacts",
    }


def take(out_dir: Path) -> list[Path]:
    """Writes one `<name>.png` per page into `out_dir`; returns the files."""
    from playwright.sync_api import sync_playwright

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory(prefix="starling-shots-") as scratch:
        root, results = build_demo_store(Path(scratch))
        with serving(create_app(StoreSource.from_root(str(root)))) as url, sync_playwright() as play:
            browser = play.chromium.launch(executable_path=ensure_chromium(), args=CHROMIUM_ARGS)
            page = browser.new_context(viewport=VIEWPORT).new_page()
            for name, path in page_paths(results).items():
                page.goto(url + path)
                page.wait_for_load_state("networkidle")
                target = out_dir / f"{name}.png"
                page.screenshot(path=str(target), full_page=True)
                written.append(target)
            browser.close()
    return written


if __name__ == "__main__":
    for written_file in take(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/ui")):
        print(written_file)
