#!/usr/bin/env bash
# Fetches Mermaid's own parser, with jsdom for the DOM it needs outside a browser, from the npm
# registry (pinned: a new Mermaid can change what parses), into .cache/mermaid.
# tests/test_diagram.py parses every generated diagram with it (tests/mermaid_parse.mjs). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
packages="mermaid@11.12.2 jsdom@26.1.0"
target=.cache/mermaid
if [ -f "$target/.version" ] && [ "$(cat "$target/.version")" = "$packages" ]; then
  exit 0
fi
command -v npm >/dev/null || { echo "npm is needed to fetch the Mermaid parser (apt-get install npm)" >&2; exit 1; }
rm -rf "$target" && mkdir -p "$target"
# shellcheck disable=SC2086  # one word per package
(cd "$target" && printf '{"private":true}\n' > package.json \
  && npm install --silent --no-audit --no-fund --ignore-scripts $packages >/dev/null)
printf '%s\n' "$packages" > "$target/.version"
