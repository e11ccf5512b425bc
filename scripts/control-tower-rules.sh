#!/usr/bin/env bash
# Fetches AWS Control Tower's proactive controls as Guard rules, with the cfn-guard 3 binary that
# runs them, from the npm package @cdklabs/cdk-validator-cfnguard (pinned: a new release adds
# controls, so upgrading is a deliberate change), into .cache/control-tower/package.
# tests/test_control_tower.py runs them over every generated template. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
version=0.0.62
target=.cache/control-tower
if [ -f "$target/package/.version" ] && [ "$(cat "$target/package/.version")" = "$version" ]; then
  exit 0
fi
command -v npm >/dev/null || { echo "npm is needed to fetch the Control Tower rules (apt-get install npm)" >&2; exit 1; }
rm -rf "$target" && mkdir -p "$target"
(cd "$target" && npm pack --silent "@cdklabs/cdk-validator-cfnguard@$version" >/dev/null && tar xzf ./*.tgz && rm ./*.tgz)
printf '%s\n' "$version" > "$target/package/.version"
