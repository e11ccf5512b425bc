"""CloudFormation's per-template limits hold at the largest params the validator accepts."""

from __future__ import annotations

from pathlib import Path

from templates_src import aws_facts as facts
from templates_src.config import load_environments
from templates_src.stack import build_template

from conftest import PARAMS


def test_most_users_fit_the_output_limit(tmp_path: Path) -> None:
    # prod has the most outputs a proxy can have (read-only endpoint and client policy).
    text = (PARAMS / "prod.yaml").read_text()
    users = "".join(f"  - username: user_{i:03d}\n" for i in range(facts.MAX_USERS))
    text = text[: text.index("users:\n")] + "users:\n" + users + text[text.index("\nwaivers:\n"):]  # its reasons too
    (tmp_path / "prod.yaml").write_text(text)
    (tmp_path / "_defaults.yaml").write_text((PARAMS / "_defaults.yaml").read_text())
    [cfg] = load_environments(tmp_path, "params")
    template = build_template(cfg).to_dict()
    assert "ProxyReadOnlyEndpoint" in template["Outputs"] and "User000ClientPolicyArn" in template["Outputs"]
    assert len([o for o in template["Outputs"] if o.endswith("ClientPolicyArn")]) == facts.MAX_USERS
    assert len(template["Outputs"]) <= facts.MAX_OUTPUTS_PER_TEMPLATE
    assert len(template["Resources"]) <= 500
