"""CloudFormation's per-template limits hold at the largest params the validator accepts."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from templates_src.facts import aws as facts
from templates_src.config import ParamsErrors, load_environments
from templates_src.builders.stack import build_template

from conftest import PARAMS

pytestmark = pytest.mark.unit


def _without_endpoints(text: str) -> str:
    data = yaml.safe_load(text)
    data.pop("endpoints", None)
    return yaml.safe_dump(data, sort_keys=False)


def _prod_with(tmp_path: Path, users: int, endpoints: int) -> str:
    data = yaml.safe_load((PARAMS / "prod.yaml").read_text())
    data["users"] = [{"username": f"user_{i:03d}"} for i in range(users)]
    data["endpoints"] = [{"name": f"orders-prod-e{i}", "subnet_ids": data["network"]["subnet_ids"],
                          "client_security_group_ids": data["network"]["client_security_group_ids"]}
                         for i in range(endpoints)]
    (tmp_path / "prod.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    (tmp_path / "_defaults.yaml").write_text((PARAMS / "_defaults.yaml").read_text())
    return str(tmp_path)


@pytest.mark.parametrize("endpoints", [1, 19])  # 19 and the read-only endpoint: RDS's 20
def test_endpoints_and_users_fit_the_output_limit_together(tmp_path: Path, endpoints: int) -> None:
    most = (facts.MAX_OUTPUTS_PER_TEMPLATE - facts.MAX_PROXY_OUTPUTS - facts.ENDPOINT_OUTPUTS * endpoints) // 2
    [cfg] = load_environments(Path(_prod_with(tmp_path, most, endpoints)), "params")
    template = build_template(cfg).to_dict()
    assert len(template["Outputs"]) <= facts.MAX_OUTPUTS_PER_TEMPLATE
    assert len([o for o in template["Outputs"] if o.endswith("Address")]) == endpoints
    with pytest.raises(ParamsErrors, match=r"endpoints: .* outputs; a template holds 200"):
        load_environments(Path(_prod_with(tmp_path, most + 1, endpoints)), "params")


def test_most_users_fit_the_output_limit(tmp_path: Path) -> None:
    # prod has the most outputs a proxy can have (read-only endpoint and client policy); its extra
    # endpoint's two outputs would leave room for one user fewer (below).
    text = _without_endpoints((PARAMS / "prod.yaml").read_text())
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


def test_the_tag_value_limit_is_the_smallest_of_the_tagged_resources_schemas() -> None:
    """An env's tags land on every resource that takes tags; a value the validator accepts must
    fit each one's provider schema (AWS::RDS::DBProxy allows 128 characters, most others 256), or
    the build would pass --no-lint and fail cfn-lint (E3033) or the deploy."""
    import json

    from templates_src.impact import schemas

    configs = load_environments(PARAMS, "params")
    # The adopted log group's tags reach the log group (TagResource): the log group's limits.
    as_type = {"Custom::AdoptedLogGroup": "AWS::Logs::LogGroup"}
    tagged = {(cfg.region, as_type.get(entry["Type"], entry["Type"])) for cfg in configs
              for entry in build_template(cfg).to_dict()["Resources"].values()
              if "Tags" in entry.get("Properties", {})}
    assert {"AWS::RDS::DBProxy", "AWS::KMS::Key", "AWS::SecretsManager::Secret"} <= {t for _, t in tagged}
    limits = {}
    for region, type_name in tagged:
        digest = schemas._provider_index(region)[type_name]
        raw = json.loads((schemas._data_dir() / "resources" / f"{digest}.json").read_text(encoding="utf-8"))
        tags = raw["properties"]["Tags"]
        if "items" in tags:  # a list of {Key, Value}
            value = raw["definitions"][tags["items"]["$ref"].rsplit("/", 1)[-1]]["properties"]["Value"]
        else:  # a map (AWS::SSM::Parameter): the schema of its values
            value = next(iter(tags["patternProperties"].values()))
        if (value := value.get("maxLength")) is not None:
            limits[type_name] = value
    assert limits["AWS::RDS::DBProxy"] == 128
    assert facts.TAG_VALUE_MAX == min(limits.values())
