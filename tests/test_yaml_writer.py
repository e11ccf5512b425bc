"""yaml_writer gives exactly the bytes of cfn-flip's dumpers, or declines (and yaml.dump writes).

The references are cfn-flip itself (``cfn_flip.to_yaml``) for the env templates and the catalog's
compact dumper (``catalog.text.compact_yaml_reference``) for the product and portfolio.
"""

from __future__ import annotations

import json

import pytest
from cfn_flip import cfn_literal_parser, to_yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from templates_src import __version__
from templates_src.render import yaml_writer
from templates_src.catalog import portfolio, product, text
from templates_src.config import load_environments
from templates_src.render.files import cfn_yaml, cfn_yaml_reference, ordered_body
from templates_src.builders.stack import build_template

from catalog.helpers import variants
from conftest import write_synthetic_envs


def _reference(body: dict) -> str:
    return to_yaml(json.dumps(body), clean_up=False, long_form=False)


def _data(body: dict):
    return cfn_literal_parser(json.loads(json.dumps(body)))


@pytest.fixture(scope="module")
def synthetic_configs(tmp_path_factory: pytest.TempPathFactory):
    params = tmp_path_factory.mktemp("synthetic") / "params"
    write_synthetic_envs(params, 12)
    return load_environments(params, "params")


@pytest.mark.unit
def test_every_variant_and_synthetic_env_template_is_written_as_cfn_flip_writes_it(synthetic_configs) -> None:
    for cfg in [*variants(), *synthetic_configs]:
        body = ordered_body(build_template(cfg).to_dict())
        assert yaml_writer.dump(_data(body)) == _reference(body), cfg.env


@pytest.mark.unit
@pytest.mark.parametrize("name", ["product", "portfolio"])
def test_the_catalog_templates_are_written_as_the_compact_dumper_writes_them(name: str) -> None:
    body = product.product_body(__version__) if name == "product" else \
        portfolio.portfolio_template(__version__, {"AWS::RDS::DBProxy", "AWS::KMS::Key"}).to_dict()
    ordered = json.dumps(ordered_body(body))
    written = yaml_writer.dump(cfn_literal_parser(json.loads(ordered)), text.FLOW_WIDTH, text.TOP_LEVELS)
    assert written == text.compact_yaml_reference(ordered)
    assert "[" in written and "{" in written  # flow style was really exercised


# --- random trees of awkward scalars ----------------------------------------------------------

AWKWARD = [
    "", " ", "  lead", "trail ", "a: b", "a #b", "#x", "- x", "? x", "x:", ":x", "{a}", "[a]", "a, b", "*a",
    "&a", "!a", "%a", "@a", "`a", "|", ">", "'", '"', "it's", 'say "hi"', "0", "0123", "012a", "007", "123",
    "1.5", "1e3", "0x1F", "0o17", "1_000", "true", "True", "yes", "No", "on", "OFF", "y", "n", "null", "Null",
    "~", "2020-01-01", "2020-01-01T10:00:00Z", "12:30:45", "<<", "=", ".inf", "-.inf", ".nan", "a\nb",
    "\n".join("line" for _ in range(12)), "tab\there", "a\\b", "é", "日本", "emoji 😀", "\u2028", "\x85",
    "x" * 199, "x" * 200, " ".join(["word"] * 60), "a\r\nb", "${AWS::Region}", "arn:${AWS::Partition}:rds",
    '{"Version": "2012-10-17"}', "  indented\n  text\n", "x\n" * 10 + "\n", " lead\n" * 11,
]

scalars = st.one_of(
    st.sampled_from(AWKWARD),
    st.text(min_size=0, max_size=30),
    st.text(alphabet=" ab:#-'\"\n", min_size=0, max_size=250),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.booleans(),
    st.none(),
)
LINE_BREAKS = "\n\r\x85\u2028\u2029"
# Keys PyYAML writes as simple keys (one line, not empty, short): the others are declined, below.
# Not a function's key (Ref, Condition, Fn::...): a one-key mapping of it is a function, which
# _functions builds with the arguments cfn-flip takes. Hypothesis draws text from the constants
# of the modules loaded, so "Ref" does come up.
keys = st.one_of(st.sampled_from(AWKWARD), st.text(min_size=1, max_size=20)).filter(
    lambda k: k and len(k) < 100 and not any(ch in k for ch in LINE_BREAKS)
    and not yaml_writer._Writer._function({k: None}))


def _functions(children: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(
        st.builds(lambda v: {"Ref": v}, st.sampled_from(AWKWARD[:20])),
        st.builds(lambda a, b: {"Fn::GetAtt": [a, b]}, st.sampled_from(["Proxy", "0x", "a b"]),
                  st.sampled_from(["Endpoint", "Arn", "1"])),
        st.builds(lambda v: {"Fn::Sub": v}, st.sampled_from(AWKWARD)),
        st.builds(lambda c, a, b: {"Fn::If": [c, a, b]}, st.sampled_from(["HasX", "0"]), children, children),
        st.builds(lambda parts: {"Fn::Join": ["", parts]}, st.lists(children, max_size=4)),
        st.builds(lambda v: {"Condition": v}, st.sampled_from(["HasX", "yes"])),
        st.builds(lambda v: {"Fn::Transform": v}, st.dictionaries(keys, children, max_size=3)),
    )


values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(keys, children, max_size=5),
        _functions(children),
    ),
    max_leaves=40,
)
documents = st.dictionaries(keys, values, min_size=1, max_size=6).filter(lambda d: not yaml_writer._Writer._function(d))


@pytest.mark.properties
@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_random_trees_are_written_as_cfn_flip_writes_them(body: dict) -> None:
    assert yaml_writer.dump(_data(body)) == _reference(body)


@pytest.mark.properties
@settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.fixed_dictionaries({"Resources": st.dictionaries(keys, st.dictionaries(keys, values, max_size=4),
                                                           min_size=1, max_size=4)}))
def test_random_trees_in_compact_style_are_written_as_the_compact_dumper_writes_them(body: dict) -> None:
    ordered = json.dumps(body)
    assert yaml_writer.dump(cfn_literal_parser(json.loads(ordered)), text.FLOW_WIDTH, text.TOP_LEVELS) == \
        text.compact_yaml_reference(ordered)


@pytest.mark.unit
def test_a_document_ending_in_a_block_scalar_that_keeps_its_line_breaks_ends_with_dots() -> None:
    body = {"A": {"B": "x\n" * 10 + "\n"}}  # 10 lines: cfn-flip writes it with "|", kept with "+"
    assert yaml_writer.dump(_data(body)) == _reference(body)
    assert _reference(body).endswith("\n...\n")


# --- what it declines -------------------------------------------------------------------------

@pytest.mark.unit
@pytest.mark.parametrize("body", [
    {"A": 1.5},                       # floats: PyYAML's float representer is not reproduced
    {"K" * 130: "long key"},          # a key of 128 characters or more is written with "?"
    {"two\nlines": "x"},              # and so is a key of more than one line
    {"Ref": "X"},                     # a document that is a function, not a mapping
])
def test_shapes_it_does_not_reproduce_are_declined_and_written_by_yaml_dump(body: dict) -> None:
    with pytest.raises(yaml_writer.Unsupported):
        yaml_writer.dump(_data(body))
    assert cfn_yaml(body) == cfn_yaml_reference(_data(body)) == _reference(body)


@pytest.mark.unit
def test_a_function_of_a_scalar_that_is_not_text_fails_as_cfn_flip_fails() -> None:
    body = {"A": {"Fn::Base64": True}}
    with pytest.raises(yaml_writer.Unsupported):
        yaml_writer.dump(_data(body))
    with pytest.raises(TypeError):
        _reference(body)
    with pytest.raises(TypeError):
        cfn_yaml(body)


# --- the scalar analysis without a loop over characters (yaml_analysis) ------------------------

def _pyyaml_analysis(scalar: str) -> dict:
    from cfn_flip.yaml_dumper import Dumper

    return vars(Dumper.analyze_scalar(object.__new__(Dumper), scalar))


INDICATOR_TEXT = ["\n", "\n\n", "a\n", "\na", "a \nb", "a\n b", "a:\nb", "a\n#b", "-\nx", "?\n", ":\n", "x\n ",
                  "---", "...", "--- x", "...x", "-", "- ", "-x", "?", "? ", "?x", ":", ": ", ":x", "x: y", "x:y",
                  "x:", "x :", "a #b", "a#b", "#", " #", "x?", "x,y", "[x", "x]", "{", "}", "&", "*", "!", "|", ">",
                  "'", '"', "%", "@", "`", " ", "  ", " x", "x ", "x  y", "~", "a - b", "a ? b", "${AWS::Region}"]


@pytest.mark.unit
@pytest.mark.parametrize("scalar", [*AWKWARD, *INDICATOR_TEXT])
def test_the_printable_analysis_is_pyyaml_s(scalar: str) -> None:
    from templates_src.render.yaml_analysis import printable_analysis

    found = printable_analysis(scalar)
    if found is None:  # left to PyYAML: empty, or a character other than printable ASCII or a line feed
        assert not scalar or not (scalar.isascii() and scalar.replace("\n", "").isprintable())
    else:
        assert vars(found) == _pyyaml_analysis(scalar)


@pytest.mark.properties
@settings(max_examples=2000, deadline=None, derandomize=True)
@given(st.text(alphabet=" \n-?:#,[]{}&*!|>'\"%@`.~ab0", min_size=1, max_size=12))
def test_the_printable_analysis_is_pyyaml_s_on_any_indicator_text(scalar: str) -> None:
    from templates_src.render.yaml_analysis import printable_analysis

    assert vars(printable_analysis(scalar)) == _pyyaml_analysis(scalar)
