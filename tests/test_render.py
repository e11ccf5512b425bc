"""The fast YAML writer gives exactly cfn-flip's bytes (the format reviewers see in diffs)."""

from __future__ import annotations

import json

import pytest
from cfn_flip import to_yaml

from templates_src.config import load_environments
from templates_src.render import cfn_yaml, ordered_body
from templates_src.stack import build_template

from builders.envs import ROTATION, CLUSTER, NO_IAM, NO_RETAIN, OWN_KEY, POSTGRES, SQLSERVER, TWO_USERS, make_cfg
from conftest import PARAMS

SHAPES = {
    **{f"example-{cfg.env}": cfg for cfg in load_environments(PARAMS, "params")},
    "postgres-cluster-rotation": make_cfg(POSTGRES, CLUSTER, ROTATION, TWO_USERS),
    "sqlserver-no-iam-own-key": make_cfg(SQLSERVER, NO_IAM, OWN_KEY, NO_RETAIN),
}


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_cfn_yaml_matches_cfn_flip_byte_for_byte(name):
    body = ordered_body(build_template(SHAPES[name]).to_dict())
    assert cfn_yaml(body) == to_yaml(json.dumps(body), clean_up=False, long_form=False)


def test_cfn_yaml_keeps_the_order_given_and_writes_short_form():
    text = cfn_yaml({"B": {"Fn::GetAtt": ["Proxy", "Endpoint"]}, "A": {"Ref": "X"},
                     "C": {"Fn::Sub": "${AWS::Region}"}, "D": "0123", "E": ["x", {"Fn::If": ["c", 1, 2]}]})
    assert text.splitlines() == ["B: !GetAtt 'Proxy.Endpoint'", "A: !Ref 'X'", "C: !Sub '${AWS::Region}'",
                                 "D: '0123'", "E:", "  - x", "  - !If", "    - c", "    - 1", "    - 2"]
