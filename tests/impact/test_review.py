"""The stack policy in the analysis and the update, a target change, attribute-only
changes, orphan advice per type, and ``--against REV`` (the deployed state from a git revision)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import run_main
from templates_src.facts.hazards import REFUSED_BY_BUILD, REFUSED_BY_CHECK, AcceptedHazard, Hazard
from templates_src.impact.analysis import Action, analyse
from templates_src.impact.policy import allowances, allowed_in, denies, during_update_text
from templates_src.impact.template import Template
from templates_src.render.files import policy_body

pytestmark = pytest.mark.unit

SECRET = "AWS::SecretsManager::Secret"
REGION = "eu-west-1"


def _template(resources: dict[str, Any]) -> Template:
    return Template.from_tree({"Resources": resources})


def _secret(**extra: Any) -> dict[str, Any]:
    return {"Type": SECRET, "DeletionPolicy": "RetainExceptOnCreate",
            "Properties": {"GenerateSecretString": {"PasswordLength": 32}}, **extra}


def _target_group(**properties: Any) -> dict[str, Any]:
    return {"Type": "AWS::RDS::DBProxyTargetGroup",
            "Properties": {"DBProxyName": "p", "TargetGroupName": "default", **properties}}


# (policy, action, logical id, denied): the evaluation the analysis and deploy.sh rely on.
SHIPPED = policy_body(["AppSecret", "Key"])
DURING = json.loads(during_update_text(["AppSecret", "Key"], ["OldSecret"], ["Key"]))


@pytest.mark.parametrize("policy, action, lid, denied", [
    (SHIPPED, "Update:Delete", "AppSecret", True),
    (SHIPPED, "Update:Replace", "Key", True),
    (SHIPPED, "Update:Modify", "AppSecret", False),
    (SHIPPED, "Update:Delete", "Proxy", False),
    (DURING, "Update:Delete", "OldSecret", False),    # the reviewed removal
    (DURING, "Update:Replace", "Key", False),          # the reviewed replacement
    (DURING, "Update:Delete", "Key", True),            # not what the change does
    (DURING, "Update:Replace", "AppSecret", True),
    (DURING, "Update:Delete", "AppSecret", True),
    ({"Statement": []}, "Update:Modify", "Proxy", True),  # nothing allowed: denied
])
def test_stack_policy_evaluation(policy: dict[str, Any], action: str, lid: str, denied: bool) -> None:
    assert denies(policy, action, lid) is denied


def test_the_during_update_policy_allows_exactly_what_the_change_removes_and_replaces() -> None:
    old = _template({"AppSecret": _secret(), "OldSecret": _secret(), "Other": _target_group()})
    new = _template({"AppSecret": _secret()})
    changes = analyse(old, new, REGION, stack_policy=policy_body(["AppSecret", "OldSecret"])).changes
    assert allowances(changes) == (["OldSecret"], [])
    text = during_update_text(["AppSecret"], *allowances(changes))
    assert allowed_in(text) == (["OldSecret"], [])
    body = json.loads(text)
    assert not denies(body, "Update:Delete", "OldSecret") and denies(body, "Update:Delete", "AppSecret")
    assert all(s["Resource"] != "*" for s in body["Statement"] if s["Action"] != "Update:*")  # never an allow-all
    flagged = {c.logical_id for c in changes if Hazard.DENIED_BY_POLICY.value in c.hazards}
    assert flagged == {"OldSecret"}  # the stack's policy denies it: another path than deploy.sh fails


def test_with_nothing_removed_the_during_update_policy_is_the_shipped_one() -> None:
    assert json.loads(during_update_text(["A", "B"], [], [])) == policy_body(["A", "B"])
    assert allowed_in(None) == ([], []) and allowed_in("{not json") == ([], [])


@pytest.mark.parametrize("provisioned, says", [(False, "create-db-users.sh"), (True, "DatabaseUsers")])
def test_a_target_change_is_changes_target(provisioned: bool, says: str) -> None:
    extra = {"DatabaseUsers": {"Type": "Custom::DatabaseUsers", "Properties": {"ServiceToken": "x"}}} \
        if provisioned else {}
    old = _template({"ProxyTargetGroup": _target_group(DBInstanceIdentifiers=["db-a"]), **extra})
    new = _template({"ProxyTargetGroup": _target_group(DBInstanceIdentifiers=["db-b"]), **extra})
    (change,) = analyse(old, new, REGION).changes
    (finding,) = change.findings
    assert change.action is Action.MODIFY and finding.hazard is Hazard.CHANGES_TARGET
    assert finding.property == "DBInstanceIdentifiers" and says in finding.advice
    assert "connection" in finding.detail and "20 minutes" in finding.detail


def test_changes_target_is_refused_by_check_only_and_can_be_accepted() -> None:
    assert Hazard.CHANGES_TARGET in REFUSED_BY_CHECK and Hazard.CHANGES_TARGET not in REFUSED_BY_BUILD
    assert AcceptedHazard(Hazard.CHANGES_TARGET.value)
    assert Hazard.DENIED_BY_POLICY not in REFUSED_BY_CHECK
    assert Hazard.DENIED_BY_POLICY.value not in {h.value for h in AcceptedHazard}


@pytest.mark.parametrize("attribute, value", [("DependsOn", ["Other"]), ("Metadata", {"note": "x"})])
def test_a_change_of_only_depends_on_or_metadata_is_not_a_modify(attribute: str, value: Any) -> None:
    old = _template({"Tg": _target_group(), "Other": _secret()})
    new = _template({"Tg": {**_target_group(), attribute: value}, "Other": _secret()})
    assert analyse(old, new, REGION).changes == ()
    # with a property change too, it is a modify that names both
    changed = _template({"Tg": {**_target_group(InitQuery="SET x=1"), attribute: value}, "Other": _secret()})
    (change,) = analyse(old, changed, REGION).changes
    assert change.action is Action.MODIFY and change.changed_properties == ("InitQuery", f"({attribute})")


def test_an_orphaned_secret_is_advised_as_a_leftover_password_not_a_name() -> None:
    old = _template({"AppSecret": _secret(), "Gone": _secret()})
    new = _template({"AppSecret": _secret()})
    (change,) = analyse(old, new, REGION).changes
    (finding,) = change.findings
    assert finding.hazard is Hazard.REPLACES_RETAINED
    assert "no name the template fixes" in finding.detail and "creating it again" not in finding.detail
    assert "password" in finding.advice and "delete" in finding.advice and "restore" in finding.advice


# --against REV: a two-commit git repository holding params and generated/.


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
                               "GIT_COMMITTER_EMAIL": "t@example.com", "HOME": str(repo), "PATH": "/usr/bin:/bin"}).stdout


def _drop_second_user(params: Path) -> None:
    file = params / "dev.yaml"
    data = yaml.safe_load(file.read_text())
    data["users"] = data["users"][:1]
    file.write_text(yaml.safe_dump(data, sort_keys=False))


@pytest.fixture
def repo(tmp_path: Path, owned_params: Path) -> Path:
    """Commit 1: the examples, made one's own, built; commit 2: dev's second user removed and built."""
    repo = owned_params.parent
    out = repo / "generated"
    assert run_main("--no-lint", "--params", str(owned_params), "--out", str(out), "dev").code == 0
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "first")
    _drop_second_user(owned_params)
    assert run_main("--no-lint", "--params", str(owned_params), "--out", str(out), "dev").code == 0
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "second")
    return repo


def test_against_a_revision_reviews_the_change_from_it(repo: Path) -> None:
    params, out = str(repo / "params"), str(repo / "generated")
    plain = run_main("--no-lint", "--params", params, "--out", out, "--diff", "dev")
    assert plain.code == 0 and "updating the deployed stack" not in plain.out  # committed = built
    against = run_main("--no-lint", "--params", params, "--out", out, "--diff", "--against", "HEAD~1", "dev")
    assert against.code == 0, against.err
    assert "remove MigratorSecret" in against.out and "denied-by-policy" in against.out
    checked = run_main("--no-lint", "--params", params, "--out", out, "--check", "--against", "HEAD~1", "dev")
    assert checked.code == 2 and "replaces-retained" in checked.err  # what the CI of the pull request refuses
    # The committed during-update policy (built against commit 1) allows the removal, and a
    # build that changes nothing keeps it.
    during = json.loads((repo / "generated/dev/stack-policy-during-update.json").read_text())
    assert not denies(during, "Update:Delete", "MigratorSecret")
    assert run_main("--no-lint", "--params", params, "--out", out, "--check", "dev").code == 0


@pytest.mark.parametrize("revision", ["no-such-branch", "-output", "HEAD~9"])
def test_an_unknown_revision_is_one_line_and_exit_2(repo: Path, revision: str) -> None:
    result = run_main("--no-lint", "--params", str(repo / "params"), "--out", str(repo / "generated"), "--check",
                      f"--against={revision}", "dev")
    assert result.code == 2 and len(result.err.strip().splitlines()) == 1, result.err
    assert "--against" in result.err


def test_against_outside_a_git_repository_is_exit_2(tmp_path: Path, params_copy: Path) -> None:
    result = run_main("--no-lint", "--params", str(params_copy), "--out", str(tmp_path / "out"), "--diff",
                      "--against", "HEAD", "dev")
    assert result.code == 2 and "git" in result.err
