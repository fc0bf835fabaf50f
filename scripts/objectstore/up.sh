#!/usr/bin/env bash
# `make objectstore-up`: a local S3-compatible object store (SeaweedFS: master, volume, filer and
# S3 gateway in one `weed server` process), every port on 127.0.0.1, data under .objectstore/.
# S3 API: http://127.0.0.1:$OBJECTSTORE_S3_PORT with the access key and secret from env.sh.
set -euo pipefail
source "$(dirname "$0")/env.sh"
bash "$REPO_ROOT/scripts/objectstore/install.sh"
mkdir -p "$OBJECTSTORE_DIR/data"

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
alive() { [ -f "$OBJECTSTORE_PID_FILE" ] && kill -0 "$(cat "$OBJECTSTORE_PID_FILE")" 2>/dev/null; }

if alive && port_open "$OBJECTSTORE_S3_PORT"; then
  echo "objectstore-up: already running (S3 http://127.0.0.1:$OBJECTSTORE_S3_PORT)"
  exit 0
fi
for port in "$OBJECTSTORE_MASTER_PORT" "$OBJECTSTORE_VOLUME_PORT" "$OBJECTSTORE_FILER_PORT" "$OBJECTSTORE_S3_PORT"; do
  if port_open "$port"; then
    echo "objectstore-up: port $port on 127.0.0.1 is taken by another program; stop it or set STARLING_S3_*PORT" >&2
    exit 1
  fi
done

cat > "$OBJECTSTORE_DIR/s3.json" <<JSON
{"identities": [{"name": "starling",
  "credentials": [{"accessKey": "$OBJECTSTORE_ACCESS_KEY", "secretKey": "$OBJECTSTORE_SECRET_KEY"}],
  "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}
JSON
nohup "$WEED" server -dir="$OBJECTSTORE_DIR/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
  -master.port="$OBJECTSTORE_MASTER_PORT" -volume.port="$OBJECTSTORE_VOLUME_PORT" \
  -filer.port="$OBJECTSTORE_FILER_PORT" -master.volumeSizeLimitMB=64 -volume.max=64 \
  -s3 -s3.port="$OBJECTSTORE_S3_PORT" -s3.config="$OBJECTSTORE_DIR/s3.json" \
  >"$OBJECTSTORE_LOG" 2>&1 </dev/null &
echo $! > "$OBJECTSTORE_PID_FILE"

for _ in $(seq 90); do
  if port_open "$OBJECTSTORE_S3_PORT"; then
    echo "objectstore-up: SeaweedFS S3 at http://127.0.0.1:$OBJECTSTORE_S3_PORT; log $OBJECTSTORE_LOG"
    exit 0
  fi
  alive || break
  sleep 1
done
echo "objectstore-up: SeaweedFS did not come up; see $OBJECTSTORE_LOG" >&2
tail -20 "$OBJECTSTORE_LOG" >&2 || true
bash "$REPO_ROOT/scripts/objectstore/down.sh" >/dev/null 2>&1 || true
exit 1
