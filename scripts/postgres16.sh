#!/usr/bin/env bash
# Fetches PostgreSQL 16 server binaries (pinned: the pgserver wheel from PyPI ships them) into
# .cache/postgres16/pgserver/pginstall, for the users' SQL tests on PostgreSQL 16, whose CREATEROLE gives
# less than 15's (tests/db_servers.py). Debian's postgresql package is 15. Idempotent; Linux only.
set -euo pipefail
cd "$(dirname "$0")/.."
package=pgserver==0.1.4  # PostgreSQL 16.2
stamp="$package (the wheel's layout)"
target=.cache/postgres16
if [ -f "$target/.version" ] && [ "$(cat "$target/.version")" = "$stamp" ]; then
  exit 0
fi
case "$(uname -s)/$(uname -m)" in
  Linux/x86_64|Linux/aarch64) platform=manylinux2014_$(uname -m) ;;
  *) echo "scripts/postgres16.sh: no PostgreSQL 16 build of $package for $(uname -s)/$(uname -m)" >&2; exit 1 ;;
esac
rm -rf "$target" && mkdir -p "$target/wheel"
if ! python3 -m pip download --quiet --no-deps --only-binary=:all: --platform "$platform" --python-version 3.11 \
    --implementation cp -d "$target/wheel" "$package" >"$target/pip.log" 2>&1; then
  cat "$target/pip.log" >&2
  exit 1
fi
# The binaries find the libraries auditwheel bundled at $ORIGIN/../../../pgserver.libs: keep the
# wheel's layout.
python3 - "$target" <<'PY'
import sys, zipfile
from pathlib import Path
target = Path(sys.argv[1])
[wheel] = (target / "wheel").glob("*.whl")
with zipfile.ZipFile(wheel) as archive:
    for info in archive.infolist():
        if info.filename.startswith(("pgserver/pginstall/", "pgserver.libs/")):
            path = Path(archive.extract(info, target))
            # zip keeps the Unix mode in the upper 16 bits: the binaries stay executable
            path.chmod((info.external_attr >> 16) & 0o777 or 0o644)
PY
rm -rf "$target/wheel" "$target/pip.log"
printf '%s\n' "$stamp" > "$target/.version"
