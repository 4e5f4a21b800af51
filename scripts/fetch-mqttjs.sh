#!/usr/bin/env bash
# Fetches MQTT.js's browser bundle and licence into the web client's assets
# (committed, so that building and running need no npm).
# Usage: scripts/fetch-mqttjs.sh
set -euo pipefail
version=5.16.0
root=$(cd "$(dirname "$0")/.." && pwd)
dest=$root/broker/web/static/vendor
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "mqtt@$version" >/dev/null)
tar -xzf "$tmp/mqtt-$version.tgz" -C "$tmp" package/dist/mqtt.min.js package/LICENSE.md
mkdir -p "$dest"
cp "$tmp/package/dist/mqtt.min.js" "$dest/mqtt.min.js"
cp "$tmp/package/LICENSE.md" "$dest/mqtt.LICENSE.md"
echo "MQTT.js $version -> $dest" >&2
