"""The console's parameter groups and labels cover every parameter exactly once."""

from __future__ import annotations

import pytest

from templates_src.stack import build_template

from .envs import CLUSTER, make_cfg


@pytest.mark.parametrize("overrides, database_parameter", [((), "DBInstanceIdentifier"),
                                                          ((CLUSTER,), "DBClusterIdentifier")])
def test_every_parameter_is_grouped_and_labelled_once(overrides, database_parameter):
    template = build_template(make_cfg(*overrides)).to_dict()
    interface = template["Metadata"]["AWS::CloudFormation::Interface"]
    grouped = [name for group in interface["ParameterGroups"] for name in group["Parameters"]]
    assert sorted(grouped) == sorted(template["Parameters"]) == sorted(interface["ParameterLabels"])
    assert [g["Label"]["default"] for g in interface["ParameterGroups"]] == [
        "Network", "Database", "Proxy", "Connection pool"]
    assert interface["ParameterGroups"][1]["Parameters"] == [database_parameter, "DatabasePort"]
    assert all(label["default"] for label in interface["ParameterLabels"].values())
    assert all(p["Description"] and p["Default"] for p in template["Parameters"].values())
