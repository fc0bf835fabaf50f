"""Fixtures of the serving tests: the one small SavedModel (exported once) and a shared server."""

from __future__ import annotations

import pytest

from tests.serving.fixture_model import export_model, install


@pytest.fixture(scope="session")
def saved_model(tmp_path_factory):
    """The directory of the fixture SavedModel (see fixture_model.py)."""
    root = tmp_path_factory.mktemp("saved") / "model"
    export_model(root)
    return root


@pytest.fixture(scope="session")
def server(saved_model, tmp_path_factory):
    """One server (REST and gRPC) with `ctr` versions 1 and 2 (policy all, labels stable=1,
    canary=2) and `other` version 7."""
    from serving.model_config import VersionPolicy
    from serving.server import BackgroundServer, ServerOptions

    base = tmp_path_factory.mktemp("models")
    for name, version in (("ctr", 1), ("ctr", 2), ("other", 7)):
        install(saved_model, base, name, version)
    options = ServerOptions(str(base), port=0, grpc_port=0, policy=VersionPolicy("all"),
                            labels={"ctr": {"stable": 1, "canary": 2}}, max_body_bytes=64 * 1024)
    with BackgroundServer(options) as running:
        yield running
