"""--diff for reviewers, the Guard policies in the build, and notes for the catalog."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import NO_ENGINE, PARAMS, run_main, snapshot, write_synthetic_envs
from templates_src.checks import guard as policies
from templates_src.checks.policies import retention as policy_retention

needs_engine = pytest.mark.skipif(policies.guard_engine() is None, reason=NO_ENGINE)

OTHER_SG = "sg-0a1b2c3d4e5f60799"


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, Path]:
    params, out = tmp_path / "params", tmp_path / "out"
    shutil.copytree(PARAMS, params)
    assert run_main("--no-lint", "--params", str(params), "--out", str(out)).code == 0
    return params, out


@pytest.mark.cli
def test_diff_with_no_change_says_so_and_writes_nothing(project):
    params, out = project
    before = snapshot(out)
    result = run_main("--diff", "--no-lint", "--params", str(params), "--out", str(out))
    assert (result.code, result.out.strip()) == (0, f"{out}: no changes")
    assert snapshot(out) == before


@pytest.mark.cli
def test_diff_summarises_resources_and_shows_the_unified_diff(project):
    params, out = project
    dev = params / "dev.yaml"
    dev.write_text(dev.read_text().replace("client_security_group_ids: [sg-0a1b2c3d4e5f60733]",
                                           f"client_security_group_ids: [sg-0a1b2c3d4e5f60733, {OTHER_SG}]"))
    before = snapshot(out)
    result = run_main("--diff", "--no-lint", "--params", str(params), "--out", str(out))
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert "dev: 0 file(s) added, 0 removed, 2 changed; resources: 1 added, 0 removed, 0 changed " \
           "(+ProxyIngressFromSg0a1b2c3d4e5f60799)" in lines
    assert f"--- {out}/dev/rds-proxy.yaml" in lines and f"+++ {out}/dev/rds-proxy.yaml (built)" in lines
    assert f"+      SourceSecurityGroupId: {OTHER_SG}" in lines
    assert not any(line.startswith("prod:") for line in lines)
    assert snapshot(out) == before


@pytest.mark.cli
def test_diff_names_files_that_would_appear_or_go(project):
    params, out = project
    shutil.copy(params / "dev.yaml", params / "qa.yaml")
    text = (params / "qa.yaml").read_text().replace("orders-dev", "orders-qa")
    (params / "qa.yaml").write_text(text)
    (params / "staging.yaml").unlink()
    result = run_main("--diff", "--no-lint", "--params", str(params), "--out", str(out))
    summaries = [line for line in result.out.splitlines() if line.startswith(("qa:", "staging:"))]
    # 9 files: a script-mode env's (no provisioning-parameters.json: the product always has the provisioner)
    assert summaries[0].startswith("qa: 9 file(s) added, 0 removed, 0 changed; resources: 24 added")
    # staging's 10 files (stage.sh, not create-db-users.sh: it has the provisioner) and its stack set's 5
    assert summaries[1].startswith("staging: 0 file(s) added, 15 removed, 0 changed; resources: 0 added, 33 removed")


ORG_RULE = """\
let proxies = Resources.*[ Type == 'AWS::RDS::DBProxy' ]
rule proxies_tagged_with_owner when %proxies !empty {
    %proxies.Properties.Tags[*].Key == 'owner'
    <<every proxy needs an owner tag>>
}
"""


@pytest.mark.scanners
@needs_engine
def test_organisation_policies_fail_the_build_and_name_the_line(project, tmp_path):
    params, out = project
    org = tmp_path / "org-policies"
    org.mkdir()
    (org / "tags.guard").write_text(ORG_RULE)
    before = snapshot(out)
    result = run_main("--params", str(params), "--out", str(out), "--policies", str(org), "--no-cache")
    assert result.code == 1
    findings = [line for line in result.err.splitlines() if "tags/proxies_tagged_with_owner" in line]
    assert {line.split(":")[0] for line in findings} == {f"{out}/{p.stem}/rds-proxy.yaml"
                                                         for p in params.glob("[!_]*.yaml")}
    assert snapshot(out) == before


@pytest.mark.cli
def test_organisation_policies_without_an_engine_are_refused_with_how_to_get_one(project, tmp_path, monkeypatch):
    """Simulated absence (as on CPython 3.13 with no cfn-guard on PATH): exit 2, one line, never a pass."""
    params, out = project
    org = tmp_path / "org-policies"
    org.mkdir()
    (org / "tags.guard").write_text(ORG_RULE)
    monkeypatch.setattr(policies, "guard_engine", lambda: None)
    before = snapshot(out)
    result = run_main("--params", str(params), "--out", str(out), "--policies", str(org))
    assert result.code == 2 and len(result.err.splitlines()) == 1, result.err
    assert result.err.startswith(f"bad policy: {org / 'tags.guard'}: no CloudFormation Guard engine")
    assert "pip install 'rds-proxy-cfn[guard]'" in result.err and "cfn-guard 3 executable on PATH" in result.err
    assert snapshot(out) == before
    # Without policy files of its own the build needs no engine: the project's are cfn-lint rules.
    assert run_main("--params", str(params), "--out", str(out), "--jobs", "1", "dev").code == 0


@pytest.mark.cli
def test_the_projects_policies_fail_the_build_in_the_lint_pass(project, monkeypatch):
    """A rule that every template breaks (here: only DeletionPolicy Delete counts as retained)
    fails the build with exit 1, each finding as file:line: <policy>/<rule>: message (path)."""
    params, out = project
    monkeypatch.setattr(policy_retention, "DELETION_POLICIES", ("Delete",))
    before = snapshot(out)
    result = run_main("--params", str(params), "--out", str(out), "--jobs", "1", "--no-cache", "dev")
    assert result.code == 1
    findings = [line for line in result.err.splitlines() if "retention/secrets_key_and_logs_retained" in line]
    assert findings and all(line.startswith(f"{out}/dev/rds-proxy.yaml:") for line in findings)
    assert any(line.endswith("(/Resources/ProxySecretsKey/DeletionPolicy)") for line in findings)
    assert result.err.splitlines()[-1].endswith("cfn-lint or policy finding(s); nothing was written")
    assert snapshot(out) == before


@pytest.mark.scanners
@needs_engine
def test_a_broken_policy_file_is_bad_input(project, tmp_path):
    params, out = project
    org = tmp_path / "org-policies"
    org.mkdir()
    (org / "broken.guard").write_text("rule x { this is not guard")
    result = run_main("--params", str(params), "--out", str(out), "--policies", str(org))
    assert result.code == 2 and result.err.startswith("bad policy: ") and len(result.err.splitlines()) == 1
    missing = run_main("--params", str(params), "--out", str(out), "--policies", str(tmp_path / "nowhere"))
    assert missing.code == 2 and "no such policy folder" in missing.err


@pytest.mark.cli
def test_envs_the_product_cannot_launch_get_a_note_not_a_failure(project):
    params, out = project
    dev = params / "dev.yaml"
    dev.write_text(dev.read_text().replace("users:\n", "users:\n" + "".join(
        f"  - username: extra_{i}\n" for i in range(3)), 1))
    result = run_main("--no-lint", "--params", str(params), "--out", str(out))
    assert result.code == 0, result.err
    notes = [line for line in result.out.splitlines() if line.startswith("note: ") and "params/dev.yaml" in line]
    # dev has no provisioner (script mode) and now too many users: one note each.
    assert len(notes) == 2 and all("Service Catalog product" in note for note in notes)
    assert any("users: has 5 users" in note for note in notes)
    assert (out / "dev" / "rds-proxy.yaml").exists()
    assert not (out / "dev" / "provisioning-parameters.json").exists()
    assert (out / "analytics" / "provisioning-parameters.json").exists()


@pytest.mark.cli
def test_an_env_a_render_worker_finds_the_product_would_launch_differently_gets_a_note(tmp_path, monkeypatch):
    """The launch check runs where each env is rendered, in forked workers too: what a worker
    finds reaches the build (a note, no provisioning file), here for an env a child renders."""
    from templates_src.speed import workers
    from templates_src.catalog import provisioning

    params, out = tmp_path / "params", tmp_path / "out"
    count = workers.PARALLEL_RENDER_MIN_ENVS + 2
    write_synthetic_envs(params, count)
    original = provisioning.provisioning_values
    # With two workers the child renders the odd-numbered envs.
    # env-005: MySQL with the provisioner and the database's group, which the product takes.
    monkeypatch.setattr(provisioning, "provisioning_values",
                        lambda c: {**original(c), **({"LogRetentionInDays": "1"} if c.env == "env-005" else {})})
    result = run_main("--no-lint", "--jobs", "2", "--params", str(params), "--out", str(out))
    assert result.code == 0, result.err
    # (the synthetic envs without the provisioner, or without the database's group, get notes of their own)
    notes = [line for line in result.out.splitlines() if line.startswith("note: ") and "differently" in line]
    assert notes == [f"note: {params}/env-005.yaml: the Service Catalog product would launch it differently "
                     "(Resources.AdoptedProxyLogGroup, Resources.DatabaseUsersLogGroup); deploy its own template (not offered through the Service Catalog "
                     "product)"]
    assert not (out / "env-005" / "provisioning-parameters.json").exists()
    assert (out / "env-005" / "rds-proxy.yaml").exists()
    offered = [i for i in range(count) if i != 5 and (params / f"env-{i:03d}.yaml").read_text().count("provisioner:")]
    assert offered and all((out / f"env-{i:03d}" / "provisioning-parameters.json").exists() for i in offered)


@pytest.mark.cli
@pytest.mark.parametrize("built, other", [("dev", "staging"), ("staging", "dev")])
def test_building_some_envs_still_checks_them_against_the_others(project, built, other):
    params, out = project
    staging = params / "staging.yaml"
    staging.write_text(staging.read_text().replace("name: orders-staging", "name: orders-dev"))
    before = snapshot(out)
    result = run_main(built, "--no-lint", "--params", str(params), "--out", str(out))
    assert result.code == 2
    [error] = [line for line in result.err.splitlines() if "proxy name" in line]
    assert error.startswith(f"{params}/{built}.yaml:") and f"also used by {params}/{other}.yaml" in error
    assert snapshot(out) == before


@pytest.mark.cli
def test_a_broken_env_does_not_block_building_another(project):
    params, out = project
    (params / "staging.yaml").write_text("proxy: [broken\n")
    assert run_main("dev", "--no-lint", "--params", str(params), "--out", str(out)).code == 0
    assert run_main("--no-lint", "--params", str(params), "--out", str(out)).code == 2
