"""A first deploy told from an update: the output a shipped example made (params ``example: true``,
recorded in its template as ``Metadata.RdsProxyCfn.Example``) is nobody's stack, so the env's next
build compares nothing with it; any other output the out folder (or ``--against REV``) holds
counts as deployed and gets its hazards.

The scenarios drive build.py in a subprocess as a user does, in a temporary copy of the
repository's layout: params/ holding the examples and generated/ built from them (what the
repository commits), then the examples replaced by one's own env.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import EXAMPLE_LINE, EXAMPLES, ROOT, Result, example_configs, owned_configs, run_build
from templates_src.config.schema.model import EnvConfig
from templates_src.facts.paths import MARKER_FILE
from templates_src.output.emit import MARKER_TEXT
from templates_src.facts.hazards import Hazard
from templates_src.impact.assess import (EnvImpact, assess, assess_texts, describe, notices, refusals,
                                         update_policies)
from templates_src.impact.deployed import Deployed
from templates_src.impact.template import made_from_example
from templates_src.render.files import STACK_POLICY_FILE, TEMPLATE_FILE, json_text, stack_policy, template_yaml
from templates_src.builders.stack import build_template

pytestmark = pytest.mark.lifecycle

# One's own env in place of the examples: another proxy, engine and database than the example
# dev's, so that as an update of the example's stack it would be refused (app_user's secret
# regenerated with the engine's other excluded characters) and warned about (changes-endpoint,
# breaks-export ...).
OWN_DEV = """\
# yaml-language-server: $schema=../generated/params.schema.json
engine_family: POSTGRESQL
proxy:
  name: shop-dev
network:
  vpc_id: vpc-0f1e2d3c4b5a69788
  subnet_ids: [subnet-0f1e2d3c4b5a69781, subnet-0f1e2d3c4b5a69782]
  client_security_group_ids: [sg-0f1e2d3c4b5a69783]
  database_security_group_id: sg-0f1e2d3c4b5a69784
target:
  db_instance_identifier: shop-dev-db
  database_name: shop
users:
  - username: app_user
    role: app
    description: The shop's application
waivers:
  rotation: "passwords are rotated on the platform team's own schedule"
"""
RENAMED = "shop-dev2"
NOTE = "note: dev: generated/dev/ was a shipped example's output; built as a first deploy"


# --- reading the marker ------------------------------------------------------------------------

def _renamed(cfg: EnvConfig, name: str = "orders-dev2") -> EnvConfig:
    return dataclasses.replace(cfg, proxy=dataclasses.replace(cfg.proxy, name=name))


def _text(cfg: EnvConfig) -> str:
    return template_yaml(cfg, build_template(cfg))


def test_the_marker_is_read_from_the_templates_own_metadata_only() -> None:
    assert made_from_example(_text(example_configs()["dev"]))
    assert not made_from_example(_text(owned_configs()["dev"]))
    head = "AWSTemplateFormatVersion: '2010-09-09'\n"
    body = "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n"
    assert made_from_example(head + "Metadata:\n  RdsProxyCfn:\n    Example: true\n" + body)
    for metadata in ("",                                                      # none at all
                     "Metadata:\n  RdsProxyCfn:\n    Example: 'true'\n",      # text, not the boolean
                     "Metadata:\n  RdsProxyCfn:\n    Example: false\n",
                     "Metadata:\n  Example: true\n",                          # not the build's namespace
                     "Metadata:\n  RdsProxyCfn: [Example\n",                  # does not read
                     "Metadata: true\n"):
        assert not made_from_example(head + metadata + body), metadata
    # On a resource, not the template: a hand edit or another tool's, never the build's marker.
    nested = body.replace("    Type:", "    Metadata:\n      RdsProxyCfn:\n        Example: true\n    Type:")
    assert not made_from_example(head + nested)


def _out(folder: Path, cfg: EnvConfig) -> Path:
    """An out folder as a build leaves it, holding ``cfg``'s template and stack policy."""
    (folder / cfg.env).mkdir(parents=True)
    (folder / MARKER_FILE).write_text(MARKER_TEXT)
    template = build_template(cfg)
    (folder / cfg.env / TEMPLATE_FILE).write_text(template_yaml(cfg, template))
    (folder / cfg.env / STACK_POLICY_FILE).write_text(json_text(stack_policy(template)))
    return folder


def _files(cfg: EnvConfig) -> dict[str, str]:
    return {f"{cfg.env}/{TEMPLATE_FILE}": _text(cfg)}


def test_an_examples_previous_output_is_a_first_deploy(tmp_path: Path) -> None:
    out = _out(tmp_path / "out", example_configs()["dev"])
    new = _renamed(owned_configs()["dev"])
    [impact] = assess([new], _files(new), out)
    assert impact == EnvImpact("dev", new.source, frozenset(), example_output=f"{out}/dev/")
    assert refusals([impact]) == [] and notices([impact]) == [f"note: dev: {out}/dev/ was a shipped example's output; "
                                                              "built as a first deploy"]
    assert describe([impact]) == [f"dev: {out}/dev/ is a shipped example's output, not a deployed stack: a first "
                                  "deploy, nothing to compare"]
    # Its stack-policy-during-update.json is a first deploy's too: the shipped policy, nothing lifted.
    files = {**_files(new), f"dev/{STACK_POLICY_FILE}": json_text(stack_policy(build_template(new)))}
    assert update_policies([new], files, [impact], out) == update_policies([new], files, [], None)
    # Example over example (the examples rebuilt): nothing is deployed on either side, nothing to say.
    example = _renamed(example_configs()["dev"])
    [again] = assess([example], _files(example), out)
    assert again.example_output and not again.changes and notices([again]) == []


@pytest.mark.parametrize("new_is_example", [False, True])
def test_a_non_examples_previous_output_keeps_its_hazards(tmp_path: Path, new_is_example: bool) -> None:
    """Whatever the new params say: ``example: true`` added to a deployed env does not hide the
    change it comes with (the marker is read from the previous output)."""
    owned = owned_configs()["dev"]
    out = _out(tmp_path / "out", owned)
    new = _renamed(example_configs()["dev"] if new_is_example else owned)
    [impact] = assess([new], _files(new), out)
    old = (out / "dev" / TEMPLATE_FILE).read_text()
    assert impact == assess_texts(new, old, _files(new)[f"dev/{TEMPLATE_FILE}"],
                                  (out / "dev" / STACK_POLICY_FILE).read_text())
    assert impact.example_output is None
    assert Hazard.CHANGES_ENDPOINT in {finding.hazard for _, finding in impact.findings()}
    assert any(line.startswith("warning: dev: Proxy: changes-endpoint: ") for line in notices([impact]))


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
                               "GIT_COMMITTER_EMAIL": "t@example.com", "HOME": str(repo), "PATH": "/usr/bin:/bin"}).stdout


def _commit(repo: Path, message: str) -> None:
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", message)


def test_the_marker_is_read_from_a_revisions_output(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    _out(repo / "generated", example_configs()["dev"])
    _git(repo, "init", "-q")
    _commit(repo, "the example's output")
    shutil.rmtree(repo / "generated")
    _out(repo / "generated", owned_configs()["dev"])
    _commit(repo, "one's own output")
    new = _renamed(owned_configs()["dev"])
    [first] = assess([new], _files(new), Deployed.at_revision(repo / "generated", "HEAD~1"))
    assert first.example_output == "HEAD~1:generated/dev/" and not first.changes
    [update] = assess([new], _files(new), Deployed.at_revision(repo / "generated", "HEAD"))
    assert update.example_output is None
    assert Hazard.CHANGES_ENDPOINT in {finding.hazard for _, finding in update.findings()}


# --- build.py as a user runs it ----------------------------------------------------------------

def _shipped_tree(tmp_path: Path) -> Path:
    """params/ holding the shipped examples and generated/ built from them."""
    root = tmp_path / "repo"
    shutil.copytree(EXAMPLES, root / "params")
    built = run_build("--no-lint", cwd=root)
    assert built.code == 0, built.err
    assert made_from_example((root / "generated" / "dev" / TEMPLATE_FILE).read_text())
    return root


def _replace_examples(root: Path) -> None:
    """What the README says a fork does: the examples out, one's own env in (the defaults stay)."""
    for file in (root / "params").glob("[!_]*.yaml"):
        file.unlink()
    (root / "params" / "dev.yaml").write_text(OWN_DEV)


def _rename_proxy(root: Path) -> None:
    file = root / "params" / "dev.yaml"
    file.write_text(file.read_text().replace("name: shop-dev\n", f"name: {RENAMED}\n"))


def _hazard_lines(result: Result) -> list[str]:
    return [line for line in result.err.splitlines() if line.startswith(("warning:", "refused:", "accepted:"))]


def test_replacing_the_examples_builds_as_a_first_deploy_and_then_a_rename_warns(tmp_path: Path) -> None:
    root = _shipped_tree(tmp_path)
    _replace_examples(root)
    first = run_build(cwd=root)  # python build.py, lint and all
    assert first.code == 0, first.err
    assert first.err.splitlines() == [NOTE]  # no warning, no refusal, nothing about the examples removed
    envs = {path.name for path in (root / "generated").iterdir() if (path / TEMPLATE_FILE).is_file()}
    assert envs == {"dev"}
    assert not made_from_example((root / "generated" / "dev" / TEMPLATE_FILE).read_text())
    assert run_build("--check", "--no-lint", cwd=root).code == 0
    # Now generated/dev/ is one's own env's output: deployed, as far as the build knows.
    _rename_proxy(root)
    second = run_build("--no-lint", cwd=root)
    assert second.code == 0, second.err
    renamed = [line for line in second.err.splitlines() if line.startswith("warning: dev: Proxy: changes-endpoint: ")]
    assert renamed, second.err
    assert "shipped example" not in second.err


def test_replacing_an_env_known_to_be_deployed_is_refused_as_before(tmp_path: Path) -> None:
    """The same replacement over output that no example made: an update, refused for the
    passwords it would regenerate, whatever else is in the out folder."""
    root = _shipped_tree(tmp_path)
    dev = root / "params" / "dev.yaml"
    dev.write_text(EXAMPLE_LINE.sub("", dev.read_text(), count=1))
    assert run_build("--no-lint", "dev", cwd=root).code == 0  # dev made one's own and built
    _replace_examples(root)
    refused = run_build("--no-lint", cwd=root)
    assert refused.code == 2
    assert any(line.startswith("refused: dev: ") and ": regenerates-secret: " in line
               for line in refused.err.splitlines()), refused.err


def test_against_a_revision_the_examples_output_is_a_first_deploy_and_ones_own_is_deployed(tmp_path: Path) -> None:
    root = _shipped_tree(tmp_path)
    _git(root, "init", "-q")
    _commit(root, "the examples and their output")
    _replace_examples(root)
    assert run_build("--no-lint", cwd=root).code == 0
    _commit(root, "one's own env")
    against_examples = {mode: run_build("--no-lint", "--against", "HEAD~1", *mode, cwd=root)
                        for mode in [("--check",), ("--diff",), ()]}
    for mode, result in against_examples.items():
        assert result.code == 0 and _hazard_lines(result) == [], (mode, result.err)
    assert against_examples[()].err.splitlines() == [NOTE.replace("generated/dev/", "HEAD~1:generated/dev/")]
    assert "HEAD~1:generated/dev/ is a shipped example's output" in against_examples[("--diff",)].out
    # The pull request after it: HEAD's dev is one's own env's output, so the rename is an update.
    _rename_proxy(root)
    built = run_build("--no-lint", "--against", "HEAD", cwd=root)
    assert built.code == 0, built.err
    assert any(line.startswith("warning: dev: Proxy: changes-endpoint: ") for line in built.err.splitlines()), built.err
    checked = run_build("--no-lint", "--check", "--against", "HEAD", cwd=root)
    assert checked.code == 2 and "refused: dev: " in checked.err  # breaks-export, what the CI gate refuses


# --- the params ---------------------------------------------------------------------------------

def test_every_example_says_it_is_one_and_the_forks_envs_do_not() -> None:
    assert all(cfg.example for cfg in example_configs().values())
    for file in sorted(EXAMPLES.glob("[!_]*.yaml")):
        assert len(EXAMPLE_LINE.findall(file.read_text())) == 1, file.name
    for file in sorted(EXAMPLES.glob("_*.yaml")):
        assert not EXAMPLE_LINE.search(file.read_text()), file.name  # defaults may not say it
    fork = ROOT / "tests" / "fixtures" / "params" / "fork"
    assert not any(re.search(r"^example:", file.read_text(), re.MULTILINE) for file in fork.glob("*.yaml"))
