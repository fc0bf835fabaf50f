"""The local S3-compatible store for the `objectstore` test layer: `make objectstore-up` once per
session (SeaweedFS on 127.0.0.1), then `make objectstore-down`. Tests reach it as any S3 client
would, through the standard AWS environment variables."""

import os
import subprocess
import uuid

import pytest

from tests.fixtures.make_targets import REPO, run_make_target


def _settings() -> dict[str, str]:
    """The store's port and keys, as scripts/objectstore/env.sh sets them."""
    done = subprocess.run(["bash", "-c", "source scripts/objectstore/env.sh && echo "
                           "$OBJECTSTORE_S3_PORT $OBJECTSTORE_ACCESS_KEY $OBJECTSTORE_SECRET_KEY"],
                          cwd=REPO, capture_output=True, text=True, check=True)
    port, key, secret = done.stdout.split()
    return {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_ACCESS_KEY_ID": key,
            "AWS_SECRET_ACCESS_KEY": secret, "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.fixture(scope="session")
def object_store():
    """The running store's AWS settings (also in os.environ for this process and its children),
    with one bucket for the session (`STARLING_TEST_BUCKET`)."""
    import boto3

    run_make_target("objectstore-up", timeout_s=2400)  # the first time builds SeaweedFS with Go
    settings = _settings()
    before = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    try:
        name = f"starling-{uuid.uuid4().hex[:12]}"
        boto3.client("s3").create_bucket(Bucket=name)  # each bucket is a SeaweedFS collection
        yield {**settings, "STARLING_TEST_BUCKET": name}
    finally:
        for variable, value in before.items():
            if value is None:
                os.environ.pop(variable, None)
            else:
                os.environ[variable] = value
        run_make_target("objectstore-down", timeout_s=120)


@pytest.fixture
def bucket(object_store):
    """A new, empty place in the session's bucket: `s3://<bucket>/<test prefix>`."""
    return f"s3://{object_store['STARLING_TEST_BUCKET']}/{uuid.uuid4().hex[:12]}"
