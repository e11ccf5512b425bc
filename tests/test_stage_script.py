"""stage.sh with the real `rds-proxy-cfn artifact` and the real AWS CLI (against tests/aws_standin.py):
it uploads the code the template names, once; it refuses a CA bundle other than the pinned one,
or one that is not PEM certificates, and an rds-proxy-cfn that builds other code.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from templates_src.dbusers.deploy_order import deploy_plan
from templates_src.provisioner.artifact import CA_BUNDLE_NAME
from templates_src.facts.provisioner import CA_BUNDLE_URL
from templates_src.render.files import STAGE_SCRIPT_FILE, render_env, stage_files
from templates_src.builders.stack import build_template

from aws_standin import AWS_CLI_HOW, StandIn, real_aws_cli, script_environment
from builders.envs import PROVISIONER, make_cfg
from conftest import ROOT, needs_tool
from db_servers import CertificateAuthority

pytestmark = pytest.mark.aws_cli

AWS = real_aws_cli()
needs_aws = needs_tool(AWS, "aws", AWS_CLI_HOW)
WHEELS = ROOT / ".cache" / "provisioner" / "wheels"  # shared with tests/test_provisioner_artifact.py

TOOL = f'''#!{sys.executable}
import sys
sys.path.insert(0, {str(ROOT)!r})
from templates_src.app.cli import main
sys.exit(main())
'''
OTHER_TOOL = f'''#!{sys.executable}
import sys
from pathlib import Path
out = Path(sys.argv[sys.argv.index("--out") + 1]) / "provisioner-0123456789abcdef0123.zip"
out.write_bytes(b"other code")
print(out)
'''
# Stands in for curl: "downloads" the bundle the test made, and says which URL it was asked for.
CURL = f'''#!{sys.executable}
import shutil, sys
from pathlib import Path
args = sys.argv[1:]
Path(__LOG__).write_text(args[-1])
shutil.copy(__BUNDLE__, args[args.index("-o") + 1])
'''


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("ca")
    return CertificateAuthority.create(folder, "rds-ca").cert


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Stage:
    """stage.sh of an env pinned to ``pinned``'s SHA-256, in tmp, with the real rds-proxy-cfn."""

    def __init__(self, tmp: Path, pinned: Path, standin: StandIn, tool: str = TOOL) -> None:
        self.cfg = make_cfg(PROVISIONER, {"provisioner": {"ca_bundle_sha256": _sha(pinned)}})
        self.plan = deploy_plan(self.cfg)
        self.tmp, self.standin = tmp, standin
        (tmp / STAGE_SCRIPT_FILE).write_text(stage_files(self.cfg)[STAGE_SCRIPT_FILE])
        bin_dir = tmp / "bin"
        bin_dir.mkdir()
        (bin_dir / "rds-proxy-cfn").write_text(tool)
        (bin_dir / "rds-proxy-cfn").chmod(0o755)
        WHEELS.mkdir(parents=True, exist_ok=True)  # the artifact's default wheel cache, from tmp
        (tmp / ".cache" / "provisioner").mkdir(parents=True)
        (tmp / ".cache" / "provisioner" / "wheels").symlink_to(WHEELS, target_is_directory=True)
        self.bin_dir = bin_dir
        self.environment = script_environment(standin, tmp, bin_dir, AWS)

    def run(self, *args: str, **environment: str) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", str(self.tmp / STAGE_SCRIPT_FILE), *args], cwd=self.tmp,
                              env={**self.environment, **environment}, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=300)

    @property
    def staged(self) -> bytes | None:
        return self.standin.objects.get((self.plan.artifact.bucket, self.plan.artifact.key))


@pytest.fixture
def standin():
    with StandIn(make_cfg().region) as server:
        yield server


@needs_aws
def test_stages_the_code_the_template_names_once(tmp_path, bundle, standin):
    stage = Stage(tmp_path, bundle, standin)
    done = stage.run(str(bundle))
    assert done.returncode == 0, done.stderr
    assert standin.operations() == ["HeadObject", "PutObject"]
    zip_path = tmp_path / "staged.zip"
    zip_path.write_bytes(stage.staged)
    with zipfile.ZipFile(zip_path) as archive:  # the code, with the pinned bundle in it
        assert archive.read(CA_BUNDLE_NAME) == bundle.read_bytes() and "handler.py" in archive.namelist()
    template = render_env(stage.cfg, build_template(stage.cfg))[f"{stage.cfg.env}/rds-proxy.yaml"]
    assert f"S3Key: {stage.plan.artifact.key}" in template  # the key the function takes its code from

    standin.calls.clear()
    again = stage.run(str(bundle))
    assert again.returncode == 0 and "staged already" in again.stdout
    assert standin.operations() == ["HeadObject"]


@needs_aws
def test_the_bundle_can_come_from_rds_ca_bundle(tmp_path, bundle, standin):
    stage = Stage(tmp_path, bundle, standin)
    done = stage.run(RDS_CA_BUNDLE=str(bundle))
    assert done.returncode == 0, done.stderr
    assert stage.staged


@needs_aws
def test_without_a_path_the_bundle_is_downloaded_from_aws(tmp_path, bundle, standin):
    stage = Stage(tmp_path, bundle, standin)
    log = tmp_path / "curl.log"
    curl = stage.bin_dir / "curl"
    curl.write_text(CURL.replace("__LOG__", repr(str(log))).replace("__BUNDLE__", repr(str(bundle))))
    curl.chmod(0o755)
    done = stage.run()
    assert done.returncode == 0, done.stderr
    assert log.read_text() == CA_BUNDLE_URL and stage.staged


@needs_aws
def test_a_bundle_other_than_the_pinned_one_is_refused(tmp_path, bundle, standin):
    other = tmp_path / "other.pem"
    other.write_bytes(CertificateAuthority.create(tmp_path, "other-ca").cert.read_bytes())
    stage = Stage(tmp_path, bundle, standin)
    done = stage.run(str(other))
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert f"has SHA-256 {_sha(other)}, not the expected {_sha(bundle)}" in line
    assert standin.operations() == ["HeadObject"] and stage.staged is None


@needs_aws
def test_a_pinned_file_that_is_not_pem_certificates_is_refused(tmp_path, bundle, standin):
    key = tmp_path / "not-a-bundle.pem"
    key.write_bytes(bundle.read_bytes() + b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    stage = Stage(tmp_path, key, standin)  # pinned to this very file: the SHA-256 matches
    done = stage.run(str(key))
    assert done.returncode == 2 and "is not PEM certificates" in done.stderr
    assert standin.operations() == ["HeadObject"] and stage.staged is None


@needs_aws
def test_an_rds_proxy_cfn_that_builds_other_code_is_refused(tmp_path, bundle, standin):
    stage = Stage(tmp_path, bundle, standin, tool=OTHER_TOOL)
    done = stage.run(str(bundle))
    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert f"built provisioner-0123456789abcdef0123.zip, not {stage.plan.artifact.name}" in line
    assert "PutObject" not in standin.operations()


def test_only_provisioner_envs_get_a_stage_script():
    assert stage_files(make_cfg()) == {}
    cfg = make_cfg(PROVISIONER)
    files = render_env(cfg, build_template(cfg))
    assert f"{cfg.env}/{STAGE_SCRIPT_FILE}" in files
    assert stage_files(cfg) == stage_files(cfg)  # no time, path or randomness in it
