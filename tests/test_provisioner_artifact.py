"""The provisioner's Lambda artifact: the same bytes from the same inputs, what it holds, what it refuses.

Builds fetch the pinned wheels for Lambda's platform with pip (cached under .cache/provisioner/wheels).
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from templates_src.provisioner import artifact

from conftest import ROOT
from db_servers import CertificateAuthority

pytestmark = pytest.mark.cli

WHEELS = ROOT / ".cache" / "provisioner" / "wheels"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> tuple[Path, str]:
    """A PEM bundle of two CA certificates and its SHA-256."""
    folder = tmp_path_factory.mktemp("bundle")
    first = CertificateAuthority.create(folder, "ca-1")
    second = CertificateAuthority.create(folder, "ca-2")
    path = folder / "bundle.pem"
    path.write_bytes(first.cert.read_bytes() + second.cert.read_bytes())
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def built(bundle, tmp_path_factory) -> Path:
    path, sha = bundle
    return artifact.build_artifact(path, sha, tmp_path_factory.mktemp("out-1"), WHEELS)


def test_two_builds_are_byte_identical_even_from_a_fresh_wheel_cache(bundle, built, tmp_path):
    path, sha = bundle
    again = artifact.build_artifact(path, sha, tmp_path / "out-2", tmp_path / "fresh-wheels")
    assert again.name == built.name == artifact.artifact_name(sha)
    assert again.read_bytes() == built.read_bytes()


def test_the_zip_holds_the_handler_drivers_and_bundle_at_fixed_times_and_modes(bundle, built):
    with zipfile.ZipFile(built) as archive:
        infos = archive.infolist()
        names = [info.filename for info in infos]
        assert names == sorted(names) and len(names) == len(set(names))
        assert {"handler.py", "sql_blocks.py", "passwords.py", "rds-ca-bundle.pem"} <= set(names)
        assert archive.read("rds-ca-bundle.pem") == bundle[0].read_bytes()
        for package in ("pg8000/", "pymysql/", "scramp/", "asn1crypto/", "dateutil/"):
            assert any(name.startswith(package) for name in names), package
        assert "six.py" in names and "pg8000-1.31.6.dist-info/METADATA" in names
        assert not [n for n in names if n.endswith((".pyc", "/")) or "__pycache__" in n]
        assert not [n for n in names if n.startswith(("templates_src", "boto3", "botocore"))]
        for info in infos:
            assert info.date_time == (1980, 1, 1, 0, 0, 0), info.filename
            assert info.external_attr >> 16 == 0o100644 and info.create_system == 3, info.filename
            assert info.compress_type == zipfile.ZIP_STORED, info.filename
        runtime = sorted(p.name for p in artifact.RUNTIME.glob("*.py"))
        assert [n for n in names if "/" not in n and n.endswith(".py") and n != "six.py"] == runtime
        for name in runtime:
            assert archive.read(name) == (artifact.RUNTIME / name).read_bytes()


def test_the_handler_imports_from_the_unpacked_zip_alone(built, tmp_path):
    """In a fresh interpreter, with -I (no site-packages, no cwd): only the zip's contents and the
    standard library, as on Lambda minus boto3 (imported lazily)."""
    with zipfile.ZipFile(built) as archive:
        archive.extractall(tmp_path)
    done = subprocess.run([sys.executable, "-I", "-c", "import sys; sys.path.insert(0, sys.argv[1]); import handler, "
                           "pg8000.native, pymysql; print(handler.handler.__module__, pg8000.__file__.startswith("
                           "sys.argv[1]))", str(tmp_path)], capture_output=True, text=True)
    assert (done.returncode, done.stdout.split()) == (0, ["handler", "True"]), done.stderr


def test_artifact_name_is_stable_and_follows_the_ca_bundle():
    sha = "ab" * 32
    name = artifact.artifact_name(sha)
    assert name == artifact.artifact_name(sha.upper()) and name.startswith("provisioner-") and name.endswith(".zip")
    assert len(name) == len("provisioner-") + 20 + len(".zip")
    assert artifact.artifact_name("cd" * 32) != name
    assert artifact.artifact_digest(sha).startswith(name[len("provisioner-"):-4])
    assert (artifact.LAMBDA_RUNTIME, artifact.HANDLER) == ("python3.13", "handler.handler")


def test_artifact_name_follows_the_runtime_sources_and_the_lock(monkeypatch):
    sha = "ab" * 32
    before = artifact.artifact_digest(sha)
    sources = artifact._runtime_sources()
    monkeypatch.setattr(artifact, "_runtime_sources", lambda: sources[:-1] + ((sources[-1][0], sources[-1][1] + b"#"),))
    assert artifact.artifact_digest(sha) != before
    monkeypatch.undo()
    monkeypatch.setattr(artifact, "_lock_bytes", lambda: b"pg8000==1.31.5 --hash=sha256:00\n")
    assert artifact.artifact_digest(sha) != before


def test_a_wrong_sha256_is_refused(bundle, tmp_path):
    path, sha = bundle
    wrong = "0" * 64
    with pytest.raises(ValueError, match=f"has SHA-256 {sha}, not the expected {wrong}"):
        artifact.build_artifact(path, wrong, tmp_path, WHEELS)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("text", [
    b"not a certificate\n",
    b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    b"",
])
def test_a_bundle_that_is_not_pem_certificates_is_refused(text, tmp_path):
    path = tmp_path / "bundle.pem"
    path.write_bytes(text)
    with pytest.raises(ValueError, match="bundle.pem (is not PEM certificates|holds a PEM block that is no certificate)"):
        artifact.build_artifact(path, hashlib.sha256(text).hexdigest(), tmp_path / "out", WHEELS)


def test_a_bundle_with_a_key_beside_its_certificate_is_refused(bundle, tmp_path):
    path = tmp_path / "bundle.pem"
    path.write_bytes(bundle[0].read_bytes() + b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    with pytest.raises(ValueError, match="is not PEM certificates"):
        artifact.build_artifact(path, hashlib.sha256(path.read_bytes()).hexdigest(), tmp_path / "out", WHEELS)


def test_main_writes_the_zip_and_prints_its_path(bundle, built, tmp_path, capsys):
    path, sha = bundle
    assert artifact.main(["--ca-bundle", str(path), "--sha256", sha, "--out", str(tmp_path),
                          "--wheel-cache", str(WHEELS)]) == 0
    printed = capsys.readouterr().out.strip()
    assert printed == str(tmp_path / built.name) and Path(printed).read_bytes() == built.read_bytes()


@pytest.mark.parametrize("args, message", [
    (["--sha256", "0" * 64], "has SHA-256"),
    (["--sha256", "xyz"], "--sha256 must be 64 hex digits"),
    (["--sha256", "0" * 64, "--ca-bundle", "/nonexistent/bundle.pem"], "cannot read the CA bundle"),
])
def test_main_exits_2_with_one_line_on_bad_input(bundle, args, message, tmp_path):
    if "--ca-bundle" not in args:
        args = ["--ca-bundle", str(bundle[0]), *args]
    done = subprocess.run([sys.executable, "-m", "templates_src.provisioner.artifact", *args, "--out", str(tmp_path),
                           "--wheel-cache", str(WHEELS)], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and message in done.stderr and "Traceback" not in done.stderr
