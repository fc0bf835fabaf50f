"""UI test fixtures: stores made by real pipeline runs, and the app over them."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from pipelines import Input, LocalRunner, Output, Parameter, Pipeline, component
from pipelines.artifacts import Examples, Model
from pipelines.ui import StoreSource, create_app

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture(scope="session", autouse=True)
def test_client_host_allowed():
    """Starlette's TestClient sends `Host: testserver`: allowed in these tests, as a deployment
    would allow its own name (the UI refuses unknown Host names; see pipelines/hosts.py)."""
    from pipelines.hosts import ENVIRONMENT_VARIABLE

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(ENVIRONMENT_VARIABLE, "testserver")
        yield


@component
def numbers(examples: Output[Examples], count: Parameter[int] = 3, span: Parameter[int] = 1):
    """Writes 0..count-1; tags the artifact with a script-like note (an XSS probe)."""
    Path(examples.path("numbers.json")).write_text(json.dumps(list(range(count))))
    examples.span = span
    examples.properties["note"] = SCRIPT


@component
def total(examples: Input[Examples], model: Output[Model]):
    """Sums the numbers."""
    values = json.loads(Path(examples.path("numbers.json")).read_text())
    Path(model.path("total.json")).write_text(json.dumps(sum(values)))


@component
def fail_loudly(examples: Input[Examples], model: Output[Model], message: Parameter[str] = SCRIPT,
                fail: Parameter[bool] = True):
    """Fails with a message that looks like markup (or, told not to, writes a total)."""
    if fail:
        raise ValueError(message)
    Path(model.path("total.json")).write_text("0")


@component
def downstream(model: Input[Model], copy: Output[Model]):
    """Copies a model (never runs after `fail_loudly`: it is skipped)."""
    Path(copy.path("total.json")).write_text(Path(model.path("total.json")).read_text())


STARTED = threading.Event()
RELEASE = threading.Event()


@component
def hold(examples: Input[Examples], model: Output[Model]):
    """Announces it runs, then blocks until the test releases it; writes a total."""
    STARTED.set()
    RELEASE.wait(30)
    Path(model.path("total.json")).write_text("0")


def tiny_pipeline(root: Path, count: int = 3, failing: bool = False, fail: bool = True) -> Pipeline:
    """numbers -> total, plus a failing node (and its skipped dependent) if asked."""
    source = numbers(count=count, span=count)
    nodes = [source, total(examples=source.outputs["examples"])]
    if failing:
        broken = fail_loudly(examples=source.outputs["examples"], fail=fail)
        nodes += [broken, downstream(model=broken.outputs["model"])]
    return Pipeline("tiny", str(root), nodes)


@pytest.fixture(scope="module")
def tiny_root(tmp_path_factory):
    """Three runs: a first run, a fully cached rerun, then a new count with a failing node."""
    root = tmp_path_factory.mktemp("tiny") / "root"
    for pipeline in (tiny_pipeline(root), tiny_pipeline(root), tiny_pipeline(root, 5, failing=True)):
        LocalRunner().run(pipeline)
    return root


@pytest.fixture(scope="module")
def client(tiny_root):
    """A test client of the UI over the tiny store."""
    return TestClient(create_app(StoreSource.from_root(str(tiny_root))))


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory):
    """Two days of the seven-node demo pipeline (real TFDV, TFMA, Pusher): (root, results)."""
    from tests.ui.demo_store import build_demo_store

    return build_demo_store(tmp_path_factory.mktemp("ui_demo"))


@pytest.fixture(scope="session")
def demo_client(demo_store):
    """A test client of the UI over the demo store."""
    return TestClient(create_app(StoreSource.from_root(str(demo_store[0]))))


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, launched by Playwright once per test module."""
    from tests.ui.browser import CHROMIUM_ARGS, ensure_chromium

    try:
        executable = ensure_chromium()
    except RuntimeError as error:
        pytest.fail(str(error))
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def ui_url(demo_store):
    """The UI over the demo store, served on a loopback port."""
    from tests.ui.browser import serving

    with serving(create_app(StoreSource.from_root(str(demo_store[0])))) as url:
        yield url


@pytest.fixture
def page(browser):
    """A 1400x900 page that records dialogs (an XSS probe would open one)."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    dialogs = []
    opened.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    opened.dialogs = dialogs
    yield opened
    context.close()
