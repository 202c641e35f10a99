#!/bin/bash
# Healthy when every servable named in models.config has an AVAILABLE version, as
# `GET /v1/models/<name>` reports it: the model is loaded, not just the port open. Plain bash
# (/dev/tcp), since the tensorflow/serving image has no curl.
# Usage: healthcheck.sh [models.config] [port]
set -euo pipefail
config=${1:-/etc/tf-serving/models.config}
port=${2:-8501}
names=$(sed -n 's/^[[:space:]]*name:[[:space:]]*"\([^"]*\)".*/\1/p' "$config")
[ -n "$names" ] || { echo "no servable named in $config" >&2; exit 1; }
for name in $names; do
  exec 3<>"/dev/tcp/127.0.0.1/$port"
  printf 'GET /v1/models/%s HTTP/1.0\r\nHost: localhost\r\n\r\n' "$name" >&3
  if ! grep -q '"AVAILABLE"' <&3; then
    echo "$name has no AVAILABLE version" >&2
    exit 1
  fi
  exec 3<&-
done
