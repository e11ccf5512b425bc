"""Properties of two rules against hostile params, on every surface they guard.

- Client ranges that together are the whole IPv4 or IPv6 internet are refused wherever ingress
  opens (the proxy's network.allowed_cidrs and each extra endpoint's), however they are split;
  the same ranges less any one piece are not.
- A tag value is accepted exactly when AWS's strictest tag value pattern among the resource
  types the tags land on accepts it (AWS::IAM::Role's, read from the provider schema cfn-lint
  ships, matched whole with the `regex` module: cfn-lint searches, so its $ would let a final
  newline through, which AWS does not).
"""

from __future__ import annotations

import ipaddress
import json

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from templates_src.config import ParamsErrors
from templates_src.config.rules.env import tag_value_problem
from templates_src.impact import schemas

from builders.envs import CLUSTER, make_cfg

pytestmark = pytest.mark.properties

WHOLE = {4: ipaddress.ip_network("0.0.0.0/0"), 6: ipaddress.ip_network("::/0")}


@st.composite
def partitions(draw, version: int) -> list[str]:
    """The whole address space of ``version`` split into 2 to 12 prefixes, in random order."""
    pieces = [WHOLE[version]]
    for _ in range(draw(st.integers(1, 11))):
        index = draw(st.integers(0, len(pieces) - 1))
        if pieces[index].prefixlen >= 30:
            continue
        pieces[index:index + 1] = list(pieces[index].subnets(prefixlen_diff=1))
    return [str(p) for p in draw(st.permutations(pieces))]


def _messages(overrides: dict) -> list[str]:
    try:
        make_cfg(CLUSTER, overrides)
    except ParamsErrors as exc:
        return [str(e) for e in exc.errors]
    return []


def _where(surface: str, cidrs: list[str]) -> dict:
    if surface == "proxy":
        return {"network": {"allowed_cidrs": cidrs}}
    return {"endpoints": [{"name": "partner-apps", "vpc_id": "vpc-0f60718293a4b5c6d",
                           "subnet_ids": ["subnet-0f60718293a4b5c11", "subnet-0f60718293a4b5c22"],
                           "endpoint_network_type": "DUAL", "allowed_cidrs": cidrs}],
            "network": {"endpoint_network_type": "DUAL"}}


@settings(max_examples=30, deadline=None, derandomize=True)
@given(data=st.data(), version=st.sampled_from([4, 6]), surface=st.sampled_from(["proxy", "endpoint"]))
def test_the_whole_internet_in_pieces_is_refused_on_every_ingress(data, version, surface) -> None:
    pieces = data.draw(partitions(version), label="pieces")
    assert len(pieces) >= 2
    whole = str(WHOLE[version])
    refused = [m for m in _messages(_where(surface, pieces)) if f"ranges are {whole}, the whole internet" in m]
    assert len(refused) == 1, refused
    assert ("endpoints[0].allowed_cidrs" if surface == "endpoint" else "network.allowed_cidrs") in refused[0]
    missing_one = pieces[:-1]
    assert not [m for m in _messages(_where(surface, missing_one)) if "the whole internet" in m]


def _role_tag_value_pattern() -> str:
    digest = schemas._provider_index("eu-west-1")["AWS::IAM::Role"]
    raw = json.loads((schemas._data_dir() / "resources" / f"{digest}.json").read_text(encoding="utf-8"))
    tag = raw["definitions"][raw["properties"]["Tags"]["items"]["$ref"].rsplit("/", 1)[-1]]
    return tag["properties"]["Value"]["pattern"]


PATTERN = regex.compile(_role_tag_value_pattern())


@settings(max_examples=300, deadline=None, derandomize=True)
# Characters this Python knows (the regex module may know a newer Unicode; AWS, another still).
@given(value=st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cn")), max_size=8))
def test_a_tag_value_is_refused_exactly_when_aws_refuses_it(value: str) -> None:
    assert (tag_value_problem(value) == "") == bool(PATTERN.fullmatch(value))


@pytest.mark.parametrize("value", ["cc-1234", "team@example.com", "a/b:c=d+e_f.g", "Équipe 42", "东京"])
def test_ordinary_tag_values_are_accepted(value: str) -> None:
    assert tag_value_problem(value) == "" and PATTERN.fullmatch(value)
