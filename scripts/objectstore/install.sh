#!/usr/bin/env bash
# Installs SeaweedFS's `weed` (Apache-2.0) into .tools/bin with `go install`, once.
set -euo pipefail
source "$(dirname "$0")/env.sh"
if [ -x "$WEED" ] && [ "$(cat "$TOOLS_DIR/weed.version" 2>/dev/null)" = "$SEAWEEDFS_VERSION" ]; then
  exit 0
fi
command -v go >/dev/null || { echo "objectstore: Go is needed to install SeaweedFS" >&2; exit 1; }
mkdir -p "$TOOLS_DIR/bin"
echo "objectstore: installing SeaweedFS $SEAWEEDFS_VERSION into $TOOLS_DIR/bin (once, a few minutes)"
# `go install module@version` refuses a module whose go.mod has replace directives (SeaweedFS's
# has one), so the module is downloaded through the Go module proxy and built as the main module.
source_dir="$(cd "$TOOLS_DIR" && GOFLAGS=-mod=mod go mod download -json \
  "github.com/seaweedfs/seaweedfs@$SEAWEEDFS_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[ -d "$source_dir" ] || { echo "objectstore: SeaweedFS $SEAWEEDFS_VERSION could not be downloaded" >&2; exit 1; }
(cd "$source_dir" && GOFLAGS="-buildvcs=false" go build -o "$WEED" ./weed)
echo "$SEAWEEDFS_VERSION" > "$TOOLS_DIR/weed.version"
