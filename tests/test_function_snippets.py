"""DEPLOY.md's function snippets, for every example: the AWS SAM one is a template cfn-lint passes
(with SAM's transform), the CDK one is Python, the Terraform one is HCL, and every export, subnet
and security group each names is one its env's template has."""

from __future__ import annotations

import ast
import re
from dataclasses import replace
from collections.abc import Iterator
from typing import Any

import pytest
from markdown_it import MarkdownIt

from tests.conftest import example_configs, example_files

pytestmark = pytest.mark.unit

_MD = MarkdownIt("commonmark").enable(["table"])
_IDS = re.compile(r"^(?:sg|subnet)-[0-9a-f]+$")


def _snippets(guide: str) -> dict[str, tuple[str, str]]:
    """{heading: (fence info, code)} of each heading followed by a fenced block."""
    from templates_src.render.function_wiring import CDK_HEADING, SAM_HEADING, TERRAFORM_HEADING

    tokens = _MD.parse(guide)
    found = {}
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and tokens[i + 1].content in (SAM_HEADING, CDK_HEADING, TERRAFORM_HEADING):
            fence = next(t for t in tokens[i + 2:] if t.type in ("fence", "heading_open"))
            assert fence.type == "fence", f"{tokens[i + 1].content}: no code block before the next heading"
            found[tokens[i + 1].content] = (fence.info, fence.content)
    return found


def _template(env: str) -> dict[str, Any]:
    from cfnlint.decode.decode import decode_str

    template, matches = decode_str(example_files()[f"{env}/rds-proxy.yaml"])
    assert not matches
    return template


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value


def _exports(env: str) -> set[str]:
    """The template's export names, with the stack's name in place of ${AWS::StackName}."""
    stack = example_configs()[env].stack_name
    return {output["Export"]["Name"]["Fn::Sub"].replace("${AWS::StackName}", stack)
            for output in _template(env)["Outputs"].values()}


def _ids(env: str) -> set[str]:
    """The subnets and security groups the template names (the proxy's, its clients')."""
    return {s for s in _strings(_template(env)["Resources"]) if _IDS.match(s)}


def _sam_names(code: str) -> tuple[set[str], set[str]]:
    from cfnlint.decode.decode import decode_str

    template, matches = decode_str(code)
    assert not matches
    imports = set()
    stack = [template]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            imports |= {value["Fn::ImportValue"]} if "Fn::ImportValue" in value else set()
            stack += value.values()
        elif isinstance(value, list):
            stack += value
    return imports, {s for s in _strings(template) if _IDS.match(s)}


def _cdk_names(code: str) -> tuple[set[str], set[str]]:
    tree = ast.parse(code)
    imports = {node.args[0].value for node in ast.walk(tree)
               if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
               and node.func.attr == "import_value"}
    constants = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    return imports, {s for s in constants if _IDS.match(s)}


def _terraform_names(code: str) -> tuple[set[str], set[str]]:
    import hcl2

    parsed = hcl2.loads(code)
    # bc-python-hcl2 (checkov's parser) gives each attribute's value as a one-item list.
    imports = {name for block in parsed["data"] for export in block.get("aws_cloudformation_export", {}).values()
               for name in _strings(export["name"])}
    return imports, {s for s in _strings(parsed) if _IDS.match(s)}


_CHECKS = {"AWS SAM": ("yaml", _sam_names), "AWS CDK (Python)": ("python", _cdk_names),
           "Terraform": ("hcl", _terraform_names)}


def _guides() -> list[str]:
    return sorted(example_configs())


@pytest.mark.parametrize("env", _guides())
def test_each_snippet_parses_and_names_only_what_the_template_has(env: str) -> None:
    from templates_src.render.function_wiring import wiring

    snippets = _snippets(example_files()[f"{env}/DEPLOY.md"])
    assert set(snippets) == (set(_CHECKS) if wiring(example_configs()[env]) else set())
    for heading, (info, code) in snippets.items():
        language, names = _CHECKS[heading]
        assert info == language, heading
        imports, ids = names(code)
        assert imports and imports <= _exports(env), (heading, imports - _exports(env))
        assert ids and ids <= _ids(env), (heading, ids - _ids(env))


@pytest.mark.parametrize("env", _guides())
def test_the_ssm_parameters_the_guide_names_are_the_templates(env: str) -> None:
    """Every SSM parameter DEPLOY.md lists is one the template makes, and the other way round."""
    guide = example_files()[f"{env}/DEPLOY.md"]
    named = set(re.findall(r"^\| `(/[^`]+)` \|", guide, re.M))
    made = {r["Properties"]["Name"] for r in _template(env)["Resources"].values() if r["Type"] == "AWS::SSM::Parameter"}
    assert named == made
    assert made or not example_configs()[env].ssm_parameter_path


@pytest.mark.parametrize("env", _guides())
def test_the_sam_snippet_is_a_template_cfn_lint_passes(env: str) -> None:
    from cfnlint.api import ManualArgs, lint

    snippet = _snippets(example_files()[f"{env}/DEPLOY.md"]).get("AWS SAM")
    if snippet is None:
        pytest.skip("this example has no function snippets")
    cfg = example_configs()[env]
    assert [str(m) for m in lint(snippet[1], config=ManualArgs(regions=[cfg.region]))] == []


@pytest.mark.parametrize("timeout, idle", [(1, 1), (9, 8), (900, 810), (1800, 1620), (28_800, 25_920)])
def test_the_pool_retires_a_connection_before_the_proxy_closes_it(timeout: int, idle: int) -> None:
    """Under the idle client timeout (a tenth, at least a second, earlier; never below a second)
    and under RDS Proxy's 24 hours."""
    from templates_src.facts.drivers import CLIENT_CONNECTION_MAX_SECONDS
    from templates_src.render.function_wiring import pool_limits
    cfg = next(iter(example_configs().values()))
    limits = pool_limits(replace(cfg, proxy=replace(cfg.proxy, idle_client_timeout=timeout)))
    assert limits.idle == idle
    assert limits.lifetime < CLIENT_CONNECTION_MAX_SECONDS
    assert limits.recycle == min(limits.lifetime, limits.idle)


@pytest.mark.parametrize("env", _guides())
def test_the_snippets_carry_the_envs_pool_limits(env: str) -> None:
    from templates_src.render.function_wiring import pool_limits

    cfg = example_configs()[env]
    guide = example_files()[f"{env}/DEPLOY.md"]
    if "AWS SAM" not in _snippets(guide):
        pytest.skip("this example has no function snippets")
    limits = pool_limits(cfg)
    for _, code in _snippets(guide).values():
        assert re.search(rf'"?DB_POOL_MAX_LIFETIME_SECONDS"?\s*[:=]\s*"{limits.lifetime}"', code)
        assert re.search(rf'"?DB_POOL_IDLE_TIMEOUT_SECONDS"?\s*[:=]\s*"{limits.idle}"', code)
    assert limits.idle < cfg.proxy.idle_client_timeout


@pytest.mark.parametrize("overrides, wired", [
    ((), True),
    # Clients let in by CIDR range only: no group to put the function in.
    (({"network": {"client_security_group_ids": [], "allowed_cidrs": ["10.20.0.0/16"]}},), False),
])
def test_snippets_only_where_the_template_names_a_client_group(overrides: tuple, wired: bool) -> None:
    from templates_src.builders.stack import build_template
    from templates_src.render.files import DEPLOY_GUIDE_FILE, render_env
    from tests.builders.envs import make_cfg

    cfg = make_cfg(*overrides)
    guide = render_env(cfg, build_template(cfg))[f"{cfg.env}/{DEPLOY_GUIDE_FILE}"]
    assert bool(_snippets(guide)) is wired
    assert ("has no SAM, CDK or Terraform snippet" in guide) is not wired
