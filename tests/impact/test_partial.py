"""Parsing only what differs gives the same impact as parsing both templates whole."""

from __future__ import annotations

import json

import pytest

from templates_src.impact import partial
from templates_src.impact.analysis import analyse
from templates_src.impact.template import Template
from templates_src.builders.stack import build_template

from .cases import built, case, case_names, example_cases

pytestmark = pytest.mark.lifecycle


@pytest.mark.parametrize("name", case_names(examples_only=True))
def test_every_key_change_gives_the_same_impact_either_way(name: str) -> None:
    _, cfg, variants = case(name)
    base = built(cfg)[0]
    compared = 0
    for path, _, new_cfg in variants:
        new = built(new_cfg)[0]
        whole = analyse(Template.parse(base), Template.parse(new), cfg.region)
        assert partial.impact_of_texts(base, new, cfg.region) == whole, path
        assert partial.impact_of_texts(new, base, cfg.region) == analyse(
            Template.parse(new), Template.parse(base), cfg.region), path
        compared += 1
    assert compared


def test_a_file_not_laid_out_like_the_builds_is_parsed_whole() -> None:
    cfg = example_cases()[0][1]
    base = built(cfg)[0]
    as_json = json.dumps(build_template(cfg).to_dict())  # JSON is YAML too, but one line
    assert partial._sections(as_json) is None
    assert partial.impact_of_texts(as_json, base, cfg.region).changes == ()
