#!/usr/bin/env bash
# Shared settings of the local S3-compatible object store (SeaweedFS) for `make objectstore-up`.
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SEAWEEDFS_VERSION="${SEAWEEDFS_VERSION:-v0.0.0-20261109003541-7506e5f91cd6}"  # the Go module proxy's
TOOLS_DIR="$REPO_ROOT/.tools"
WEED="$TOOLS_DIR/bin/weed"
OBJECTSTORE_DIR="$REPO_ROOT/.objectstore"          # data, logs and the pid file
OBJECTSTORE_S3_PORT="${STARLING_S3_PORT:-9436}"
OBJECTSTORE_ACCESS_KEY="${STARLING_S3_ACCESS_KEY:-starling}"
OBJECTSTORE_SECRET_KEY="${STARLING_S3_SECRET_KEY:-starling-secret}"
OBJECTSTORE_MASTER_PORT="${STARLING_S3_MASTER_PORT:-9433}"   # SeaweedFS's own services, loopback only
OBJECTSTORE_VOLUME_PORT="${STARLING_S3_VOLUME_PORT:-9434}"
OBJECTSTORE_FILER_PORT="${STARLING_S3_FILER_PORT:-9435}"
OBJECTSTORE_PID_FILE="$OBJECTSTORE_DIR/weed.pid"
OBJECTSTORE_LOG="$OBJECTSTORE_DIR/weed.log"
