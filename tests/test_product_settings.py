"""params/_product.yaml: the portfolio owner's waivers for the Service Catalog product.

Loading and validating it (bad files are fixtures too: tests/fixtures/params/bad/product-*), what
an env that turns TLS or IAM auth off gets with and without it, and that the product's cache entry,
each env's kept launch check and the no-op --check fingerprint all follow its content.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from templates_src import __version__, catalog
from templates_src.speed import build_cache, product as product_step
from templates_src.catalog import PORTFOLIO_FILE, product, render_catalog
from templates_src.dbusers.deploy_order import artifact_key
from templates_src.config import DEFAULT_SETTINGS, load_product_settings
from templates_src.config.product_settings import ProductSettings, ProductWaiverParams, missing_waivers

from conftest import run_main, snapshot

pytestmark = pytest.mark.cli

BAD = Path(__file__).parent / "fixtures" / "params" / "bad"
BASE = (BAD / "_base" / "dev.yaml").read_text()
TLS_REASON = "legacy clients in the reporting VPC cannot do TLS (TICKET-9)"
IAM_REASON = "a vendor tool logs in with passwords only (TICKET-10)"
PRODUCT_YAML = f'waivers:\n  require_tls: "{TLS_REASON}"\n  iam_auth: "{IAM_REASON}"\n'


def waive(text: str, lines: str) -> str:
    assert text.count("waivers:\n") == 1
    return text.replace("waivers:\n", "waivers:\n" + lines)


# The product makes the users with the provisioner: an env it can launch has one.
PROVISIONER_YAML = """
provisioner:
  admin_secret_arn: arn:aws:secretsmanager:us-east-1:111122223333:secret:rds!db-0a1b2c3d-AbCdEf
  artifact_bucket: orders-artifacts
  ca_bundle_sha256: 3f2a1c9b8e7d6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a
  aws_apis_via: vpc_endpoints
  endpoint_security_group_id: sg-0a1b2c3d4e5f60755
  s3_prefix_list_id: pl-6da54004
"""
BASE += PROVISIONER_YAML
# An env that turns both off, with its own waivers (so its own template builds).
LEGACY = waive(BASE.replace("  name: orders-dev\n", "  name: orders-legacy\n  require_tls: false\n  iam_auth: DISABLED\n")
               .replace("orders-dev-db", "orders-legacy-db"), f'  require_tls: "{TLS_REASON}"\n  iam_auth: "{IAM_REASON}"\n')
ARGS = ("--no-lint", "--params", "params", "--out", "out")


def _params(root: Path, product: str | None = None) -> Path:
    folder = root / "params"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "dev.yaml").write_text(BASE)
    (folder / "legacy.yaml").write_text(LEGACY)
    if product is not None:
        (folder / "_product.yaml").write_text(product)
    return folder


# --- loading ---------------------------------------------------------------------------------------

def test_without_the_file_the_product_offers_the_secure_values_only(tmp_path: Path) -> None:
    settings, errors = load_product_settings(_params(tmp_path), "my/params")
    assert (settings, errors) == (DEFAULT_SETTINGS, [])
    assert settings.waived() == {} and settings.source == "my/params/_product.yaml"


def test_the_file_gives_each_waiver_its_reason(tmp_path: Path) -> None:
    settings, errors = load_product_settings(_params(tmp_path, PRODUCT_YAML), "params")
    assert errors == []
    assert settings.waived() == {"require_tls": TLS_REASON, "iam_auth": IAM_REASON}
    assert settings != DEFAULT_SETTINGS and settings.cache_key() != DEFAULT_SETTINGS.cache_key()


def test_an_empty_waivers_section_waives_nothing(tmp_path: Path) -> None:
    settings, errors = load_product_settings(_params(tmp_path, "waivers: {}\n"), "params")
    assert (settings, errors) == (DEFAULT_SETTINGS, [])


def test_a_link_to_nowhere_is_refused_not_skipped(tmp_path: Path) -> None:
    folder = _params(tmp_path)
    (folder / "_product.yaml").symlink_to(folder / "missing.yaml")  # inside the folder (outside: refused unread)
    _, errors = load_product_settings(folder, "params")
    assert [str(e) for e in errors] == ["params/_product.yaml: cannot read the file: No such file or directory"]


@pytest.mark.parametrize("weakening, waivers", [
    ("  require_tls: false\n  iam_auth: DISABLED\n", ["iam_auth", "require_tls"]),
    ("  iam_auth: DISABLED\n", ["iam_auth"]),
    ("", []),
])
def test_missing_waivers_name_what_the_env_needs(weakening: str, waivers: list[str], tmp_path: Path) -> None:
    from templates_src.config import load_environments

    text = waive(BASE.replace("  name: orders-dev\n", "  name: orders-dev\n" + weakening),
                 "".join(f'  {name}: "{TLS_REASON}"\n' for name in waivers))
    folder = tmp_path / "params"
    folder.mkdir()
    (folder / "dev.yaml").write_text(text)
    [cfg] = load_environments(folder, "params")
    missing = missing_waivers(cfg, DEFAULT_SETTINGS)
    assert sorted(message.split("has waivers.")[1].split(":")[0] for _, message in missing) == waivers
    both = ProductSettings(ProductWaiverParams(require_tls=TLS_REASON, iam_auth=IAM_REASON))
    assert missing_waivers(cfg, both) == []


# --- the build -------------------------------------------------------------------------------------

def test_an_env_that_turns_tls_off_gets_a_note_and_no_provisioning_file(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    _params(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = run_main(*ARGS)
    assert result.code == 0, result.err
    notes = [line for line in result.out.splitlines() if line.startswith("note: ")]
    assert notes == [
        "note: params/legacy.yaml: proxy.require_tls: false is offered by the Service Catalog product only when "
        "params/_product.yaml has waivers.require_tls: <the reason> (the portfolio owner's choice) "
        "(not offered through the Service Catalog product)",
        "note: params/legacy.yaml: proxy.iam_auth: DISABLED (users app_user) is offered by the Service Catalog "
        "product only when params/_product.yaml has waivers.iam_auth: <the reason> (the portfolio owner's choice) "
        "(not offered through the Service Catalog product)",
    ]
    assert (tmp_path / "out" / "legacy" / "rds-proxy.yaml").is_file()  # its own template, as ever
    assert not (tmp_path / "out" / "legacy" / catalog.PROVISIONING_FILE).exists()
    assert (tmp_path / "out" / "dev" / catalog.PROVISIONING_FILE).is_file()
    product = (tmp_path / "out" / catalog.PRODUCT_FILE).read_text()
    assert "AllowedValues: ['true']\n" in product and "AllowedValues: [REQUIRED]," in product
    assert TLS_REASON not in product


def test_with_the_waivers_the_env_is_offered_and_the_reasons_are_in_the_product(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _params(tmp_path, PRODUCT_YAML)
    monkeypatch.chdir(tmp_path)
    result = run_main(*ARGS)
    assert result.code == 0, result.err
    assert "note:" not in result.out
    launch = json.loads((tmp_path / "out" / "legacy" / catalog.PROVISIONING_FILE).read_text())
    values = {p["Key"]: p["Value"] for p in launch}
    assert values["RequireTLS"] == "false" and values["User1IamAuth"] == "DISABLED"
    product = (tmp_path / "out" / catalog.PRODUCT_FILE).read_text()
    assert "AllowedValues: ['true', 'false']" in product and "[REQUIRED, DISABLED, ENABLED]" in product
    assert product.count(TLS_REASON) == 2 and product.count(IAM_REASON) == 2  # Metadata and description


def test_the_build_lints_the_waived_product(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _params(tmp_path, PRODUCT_YAML)
    monkeypatch.chdir(tmp_path)
    result = run_main("--params", "params", "--out", "out", "dev")
    assert result.code == 0, result.err
    assert TLS_REASON in (tmp_path / "out" / catalog.PRODUCT_FILE).read_text()


def test_editing_the_file_makes_the_output_stale_and_is_undone_by_removing_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("RDS_PROXY_CFN_CACHE_DIR", str(cache))
    folder = _params(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert run_main(*ARGS).code == 0
    secure = snapshot(tmp_path / "out")
    assert run_main("--check", *ARGS).out.endswith("is up to date (2 environment(s))\n")

    (folder / "_product.yaml").write_text(PRODUCT_YAML)
    stale = run_main("--check", *ARGS)
    assert stale.code == 1 and "up to date" not in stale.out  # the fingerprint saw the file
    assert run_main(*ARGS).code == 0
    waived = snapshot(tmp_path / "out")
    assert set(waived) - set(secure) == {f"legacy/{catalog.PROVISIONING_FILE}"}
    assert run_main("--check", *ARGS).code == 0

    (folder / "_product.yaml").write_text(PRODUCT_YAML.replace("TICKET-9", "TICKET-11"))
    assert run_main("--check", *ARGS).code == 1
    assert run_main(*ARGS).code == 0
    assert snapshot(tmp_path / "out")[catalog.PRODUCT_FILE] != waived[catalog.PRODUCT_FILE]
    # One product entry in the cache: the settings' own, the previous one dropped.
    entries = list((cache / "code-v1").glob(f"{product_step.PRODUCT_CACHE_ENTRY}-*.json"))
    assert len(entries) == 1

    (folder / "_product.yaml").unlink()
    assert run_main(*ARGS).code == 0
    assert snapshot(tmp_path / "out") == secure


# --- caches and fingerprints -----------------------------------------------------------------------

WAIVED = ProductSettings(ProductWaiverParams(require_tls=TLS_REASON, iam_auth=IAM_REASON))


def test_the_product_cache_entry_is_keyed_by_the_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[ProductSettings] = []
    real = catalog.build_product

    def counting(version: str, settings: ProductSettings = DEFAULT_SETTINGS) -> catalog.Product:
        built.append(settings)
        return real(version, settings)

    monkeypatch.setattr(catalog, "build_product", counting)
    monkeypatch.setattr(product_step, "Background", _Inline)
    for settings in (DEFAULT_SETTINGS, WAIVED, WAIVED, DEFAULT_SETTINGS):
        product = product_step.ProductStep(tmp_path, settings).product()
        assert product == real(product_step.__version__, settings)
    # Built for each change of settings, read back when they are the same as the entry's.
    assert built == [DEFAULT_SETTINGS, WAIVED, DEFAULT_SETTINGS]
    keys = {build_cache.CodeCache(tmp_path, s.cache_key()).digest for s in (DEFAULT_SETTINGS, WAIVED)}
    assert len(keys) == 2 and build_cache.code_digest() not in keys


class _Inline:
    """workers.Background without the fork, so the counting above sees every build."""

    def __init__(self, fn):  # noqa: ANN001
        self._fn = fn

    def result(self):  # noqa: ANN201
        return self._fn()

    def cancel(self) -> None:
        pass


def test_each_envs_kept_launch_check_is_keyed_by_the_settings(tmp_path: Path) -> None:
    from templates_src.config import load_environments

    [cfg, _] = load_environments(_params(tmp_path), "params")
    keys = {build_cache.ConfigResults(tmp_path, "rendered", settings=s.cache_key()).key(cfg)
            for s in (DEFAULT_SETTINGS, WAIVED)}
    assert len(keys) == 2


def test_the_fingerprint_covers_the_product_settings(tmp_path: Path) -> None:
    folder = _params(tmp_path)

    def key() -> str:
        return build_cache.fingerprint(folder, {}, [])

    without = key()
    (folder / "_product.yaml").write_text(PRODUCT_YAML)
    with_file = key()
    (folder / "_product.yaml").write_text(PRODUCT_YAML.replace("TICKET-9", "TICKET-11"))
    assert len({without, with_file, key()}) == 3


def test_bad_settings_write_nothing_and_are_reported_with_the_envs_problems(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(BAD / "product-and-env-problems", tmp_path / "params", ignore=shutil.ignore_patterns("*.txt"))
    monkeypatch.chdir(tmp_path)
    result = run_main(*ARGS)
    assert result.code == 2 and not (tmp_path / "out").exists()
    assert result.err.splitlines()[0].startswith("params/_product.yaml:2:3: waivers.iam_auth: give the reason")
    assert result.err.splitlines()[1].startswith("params/dev.yaml:3:3: proxy.name:")


def test_the_portfolio_owner_names_where_the_code_is_staged(tmp_path: Path) -> None:
    """provisioner: in _product.yaml gives the product's code parameters their defaults (a launch
    needs none) and limits the launch role's code reads to that bucket."""
    sha = "3f2a1c9b8e7d6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a"
    settings, errors = load_product_settings(_params(tmp_path, f"provisioner:\n  artifact_bucket: acme-code-eu-west-1\n"
                                                               f"  ca_bundle_sha256: {sha}\n"), "params")
    assert errors == [] and settings.provisioner is not None
    parameters = product.product_body(__version__, settings)["Parameters"]
    assert parameters["ProvisionerArtifactBucket"]["Default"] == "acme-code-eu-west-1"
    assert parameters["ProvisionerArtifactKey"]["Default"] == artifact_key(sha)
    default = product.product_body(__version__, DEFAULT_SETTINGS)["Parameters"]
    assert "Default" not in default["ProvisionerArtifactBucket"] and "Default" not in default["ProvisionerArtifactKey"]
    assert settings.cache_key() != DEFAULT_SETTINGS.cache_key()  # a change rebuilds the product
    portfolio_text = render_catalog([], __version__, settings=settings)[PORTFOLIO_FILE]
    assert "arn:${AWS::Partition}:s3:::acme-code-eu-west-1/rds-proxy-cfn/provisioner-*.zip" in portfolio_text
    assert "s3:::*/rds-proxy-cfn/provisioner-*.zip" in render_catalog([], __version__)[PORTFOLIO_FILE]
    _, bad = load_product_settings(_params(tmp_path / "bad", "provisioner:\n  artifact_bucket: Not_A_Bucket\n"), "params")
    assert {e.path for e in bad} == {("provisioner", "artifact_bucket"), ("provisioner", "ca_bundle_sha256")}
