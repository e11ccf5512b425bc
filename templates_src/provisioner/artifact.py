"""The provisioner's Lambda code artifact: a zip, the same bytes from the same inputs on any machine.

Its inputs are the runtime's sources (runtime/*.py, at the zip's root: Lambda's Handler is
handler.handler), the pinned drivers of requirements.lock (wheels fetched for Lambda's platform
and Python, not this machine's, and checked against the lock's hashes) and the RDS CA bundle the
function verifies the database's certificate with (rds-ca-bundle.pem at the root). Its name holds
a digest of those inputs, so the template names a new object whenever any of them changes.

Each wheel goes in whole, *.dist-info included: pg8000 and scramp read their own version through
importlib.metadata when imported, and the license files travel with the code.

    python -m templates_src.provisioner.artifact --ca-bundle global-bundle.pem --sha256 HEX --out build/
"""

from __future__ import annotations

import argparse
import base64
import functools
import hashlib
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from ..facts.provisioner import HANDLER, LAMBDA_RUNTIME  # noqa: F401 - HANDLER: what the zip's root serves
HERE = Path(__file__).resolve().parent
RUNTIME = HERE / "runtime"
LOCK = HERE / "requirements.lock"
CA_BUNDLE_NAME = "rds-ca-bundle.pem"
DEFAULT_WHEEL_CACHE = Path(".cache/provisioner/wheels")
# Bumped whenever the zip's layout changes for the same inputs (its name must change with it).
LAYOUT = b"provisioner-artifact/2"
# Lambda's platforms (x86_64 and arm64) and Python: every pin is py3-none-any, so any of them fits.
_PYTHON = LAMBDA_RUNTIME.removeprefix("python")
PIP_TARGET = ("--platform", "manylinux2014_x86_64", "--platform", "manylinux2014_aarch64", "--python-version", _PYTHON,
              "--implementation", "cp", "--abi", "cp" + _PYTHON.replace(".", ""), "--abi", "abi3", "--abi", "none")
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can hold
_PEM_CERT = re.compile(rb"-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----")


@functools.cache
def _runtime_sources() -> tuple[tuple[str, bytes], ...]:
    return tuple((path.name, path.read_bytes()) for path in sorted(RUNTIME.glob("*.py")))


@functools.cache
def _lock_bytes() -> bytes:
    return LOCK.read_bytes()


def artifact_digest(ca_bundle_sha256: str) -> str:
    """SHA-256 (hex) of everything the zip is made of: cheap (no subprocess, no network)."""
    digest = hashlib.sha256(LAYOUT + b"\0")
    for name, data in _runtime_sources():
        digest.update(b"runtime/%s\0%d\0" % (name.encode(), len(data)) + data)
    lock = _lock_bytes()
    digest.update(b"requirements.lock\0%d\0" % len(lock) + lock)
    digest.update(b"ca-bundle-sha256\0" + ca_bundle_sha256.lower().encode())
    return digest.hexdigest()


def artifact_name(ca_bundle_sha256: str) -> str:
    return f"provisioner-{artifact_digest(ca_bundle_sha256)[:20]}.zip"


def locked_hashes(lock_text: str) -> dict[str, set[str]]:
    """requirement (name==version) -> its allowed sha256 hashes, from requirements.lock."""
    pins: dict[str, set[str]] = {}
    current = None
    for line in lock_text.replace("\\\n", " ").splitlines():
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        current = words[0]
        pins[current] = {word.split(":", 1)[1] for word in words[1:] if word.startswith("--hash=sha256:")}
        if not pins[current]:
            raise ValueError(f"requirements.lock: {current} has no --hash=sha256")
    return pins


def check_ca_bundle(ca_bundle: Path, expected_sha256: str) -> bytes:
    try:
        data = ca_bundle.read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read the CA bundle {ca_bundle}: {exc.strerror}") from None
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected_sha256.strip().lower():
        raise ValueError(f"the CA bundle {ca_bundle} has SHA-256 {actual}, not the expected {expected_sha256}")
    certificates = _PEM_CERT.findall(data)
    if not certificates or _PEM_CERT.sub(b"", data).strip():
        raise ValueError(f"the CA bundle {ca_bundle} is not PEM certificates (and nothing else)")
    import ssl  # here: a build that makes no artifact need not load OpenSSL's module (~10 ms)

    try:
        ssl.create_default_context(cadata=data.decode("ascii"))
    except (ssl.SSLError, ValueError, UnicodeDecodeError):
        raise ValueError(f"the CA bundle {ca_bundle} holds a PEM block that is no certificate") from None
    return data


def fetch_wheels(wheel_cache: Path) -> list[Path]:
    """The locked wheels, downloaded for Lambda's platform into wheel_cache (pip checks each one
    against the lock's hashes) and checked again here, whatever else the cache holds."""
    wheel_cache.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
                           "--no-deps", "--only-binary=:all:", "--require-hashes", *PIP_TARGET, "-r", str(LOCK),
                           "-d", str(wheel_cache)], capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"pip download of the provisioner's wheels failed: {last}")
    by_hash = {hashlib.sha256(path.read_bytes()).hexdigest(): path for path in sorted(wheel_cache.glob("*.whl"))}
    wheels = []
    for requirement, hashes in sorted(locked_hashes(_lock_bytes().decode()).items()):
        found = [by_hash[h] for h in sorted(hashes) if h in by_hash]
        if not found:
            raise RuntimeError(f"no wheel in {wheel_cache} matches the hash requirements.lock gives {requirement}")
        wheels.append(found[0])
    return wheels


def artifact_entries(ca_bundle: bytes, wheels: list[Path]) -> dict[str, bytes]:
    entries: dict[str, bytes] = {name: data for name, data in _runtime_sources()}
    entries[CA_BUNDLE_NAME] = ca_bundle
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as archive:
            for info in archive.infolist():
                if info.is_dir() or info.filename.endswith((".pyc", ".pyo")) or "/__pycache__/" in info.filename:
                    continue
                if info.filename in entries:
                    raise RuntimeError(f"{wheel.name} holds {info.filename}, which the artifact already has")
                entries[info.filename] = archive.read(info)
    return entries


def write_zip(entries: dict[str, bytes], path: Path) -> None:
    """Sorted entries, no directories, one timestamp, one mode, stored uncompressed: deflate's
    output depends on the zlib build (zlib-ng gives other bytes), stored bytes do not."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".provisioner-", suffix=".zip")
    try:
        with os.fdopen(fd, "wb") as stream, zipfile.ZipFile(stream, "w") as archive:
            for name in sorted(entries):
                info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
                info.create_system = 3  # Unix, so the mode below is read as one
                info.external_attr = (0o100644 & 0xFFFF) << 16
                info.compress_type = zipfile.ZIP_STORED
                archive.writestr(info, entries[name], compress_type=zipfile.ZIP_STORED)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def build_artifact(ca_bundle: Path, expected_sha256: str, out_dir: Path, wheel_cache: Path) -> Path:
    """Writes out_dir/artifact_name(expected_sha256) and returns its path. ValueError: bad input;
    RuntimeError: the wheels could not be had."""
    if not re.fullmatch(r"[0-9a-fA-F]{64}", expected_sha256.strip()):
        raise ValueError(f"--sha256 must be 64 hex digits, got {expected_sha256!r}")
    data = check_ca_bundle(ca_bundle, expected_sha256)
    entries = artifact_entries(data, fetch_wheels(wheel_cache))
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / artifact_name(expected_sha256.strip().lower())
    write_zip(entries, path)
    return path


def code_sha256(path: Path) -> str:
    """The zip's SHA-256 as Lambda reports it (CodeSha256: base64, not hex)."""
    return base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m templates_src.provisioner.artifact",
                                     description="Build the users provisioner's Lambda artifact (a zip).")
    parser.add_argument("--ca-bundle", type=Path, required=True, help="the RDS CA bundle (PEM) to ship")
    parser.add_argument("--sha256", required=True, help="the CA bundle's expected SHA-256 (hex)")
    parser.add_argument("--out", type=Path, default=Path("."), help="folder to write the zip to (default: .)")
    parser.add_argument("--wheel-cache", type=Path, default=DEFAULT_WHEEL_CACHE,
                        help=f"where the drivers' wheels are kept (default: {DEFAULT_WHEEL_CACHE})")
    args = parser.parse_args(argv)
    try:
        path = build_artifact(args.ca_bundle, args.sha256, args.out, args.wheel_cache)
    except ValueError as exc:
        print(f"{parser.prog}: {exc}", file=sys.stderr)
        return 2
    except (RuntimeError, OSError) as exc:
        print(f"{parser.prog}: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
