"""The fast YAML writer gives exactly cfn-flip's bytes (the format reviewers see in diffs)."""

from __future__ import annotations

import json

import pytest
from cfn_flip import to_yaml

from templates_src.config import load_environments
from templates_src.render.files import cfn_yaml, ordered_body
from templates_src.builders.stack import build_template

from builders.envs import ROTATION, CLUSTER, NO_IAM, NO_RETAIN, OWN_KEY, POSTGRES, SQLSERVER, TWO_USERS, make_cfg
from conftest import PARAMS, count_jinja_compiles

pytestmark = pytest.mark.unit

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


def test_prepare_templates_compiles_every_template_a_render_uses(monkeypatch):
    """Forked render workers share what the parent compiled: a template compiled during a render
    (an ``{% include %}`` missing from the list) would be compiled again in every worker."""
    from templates_src.render import files as render
    from templates_src import stacksets
    from templates_src.speed.workers import _render_one

    render._jinja.cache_clear()
    compiled = count_jinja_compiles(monkeypatch)
    try:
        render.prepare_templates(extra=(stacksets.GUIDE_TEMPLATE,))
        prepared = set(compiled)
        assert {render.DEPLOY_GUIDE_TEMPLATE, render.DB_USERS_HEADER_TEMPLATE, stacksets.GUIDE_TEMPLATE} <= prepared
        compiled.clear()
        configs = [*SHAPES.values()]
        assert any(cfg.stack_set is not None for cfg in configs)
        for index, cfg in enumerate(configs):
            _render_one(index, cfg)
        assert compiled == []
    finally:
        render._jinja.cache_clear()


@pytest.mark.parametrize("spoil", ["none", "garbage", "other-source"])
def test_templates_compiled_elsewhere_are_used_where_they_match_the_source(monkeypatch, spoil):
    """render.prepare_templates(compiled=...): what jinja_env.compile_all gave another process is
    used as it is; an entry that is not bytecode, or that was compiled from another source, is
    compiled again here. The files are the same either way."""
    import jinja2

    from templates_src.render import jinja_env, files as render
    from templates_src.speed.workers import _render_one

    cfg = SHAPES[sorted(SHAPES)[0]]
    render._jinja.cache_clear()
    try:
        want = _render_one(0, cfg).files
        compiled = jinja_env.compile_all()
        key = render._jinja().get_template(render.DEPLOY_GUIDE_TEMPLATE)  # the bucket key of DEPLOY.md's
        key = jinja2.bccache.BytecodeCache().get_cache_key(key.name, key.filename)
        assert key in compiled and len(compiled) >= 10
        if spoil == "garbage":
            compiled[key] = b"not bytecode"
        elif spoil == "other-source":
            other = jinja2.bccache.Bucket(render._jinja(), key, "a different checksum")
            other.code = compile("x = 1", "other", "exec")
            compiled[key] = other.bytecode_to_string()
        render._jinja.cache_clear()
        seen = count_jinja_compiles(monkeypatch)
        render.prepare_templates(compiled=compiled)
        assert seen == ([] if spoil == "none" else [render.DEPLOY_GUIDE_TEMPLATE])
        assert _render_one(0, cfg).files == want
    finally:
        render._jinja.cache_clear()


@pytest.mark.parametrize("first, host", [("readonly", "ProxyReadOnlyEndpoint"), ("app", "ProxyEndpoint")])
def test_the_function_snippet_imports_the_endpoint_its_user_should_use(first: str, host: str) -> None:
    """The copy-paste Environment block names the first user: a readonly one reads through the
    read-only endpoint, as the table above it says."""
    from templates_src.render.files import DEPLOY_GUIDE_FILE, render_env

    users = [{"username": "reader", "role": "readonly"}, {"username": "app_user", "role": "app"}]
    cfg = make_cfg(CLUSTER, {"target": {"read_only_endpoint": True, "database_name": "orders"},
                             "users": users if first == "readonly" else users[::-1]})
    guide = render_env(cfg, build_template(cfg))[f"{cfg.env}/{DEPLOY_GUIDE_FILE}"]
    assert f"          DB_HOST: !ImportValue {cfg.stack_name}-{host}\n" in guide


def _product_shapes():
    from templates_src.catalog import placeholders as ph, variants

    start = ph.base_config()
    return {"product-base": start, "product-iam-users": ph.with_iam_users(start),
            **{f"product-without-{f.condition}": f.variant(start) for f in variants.FEATURES}}


@pytest.mark.parametrize("name", sorted({**SHAPES, **_product_shapes()}))
def test_plain_body_is_troposphere_to_dict_in_the_same_order(name):
    """builders.plain.body (the renders' and the product's dicts) is Template.to_dict(), key order too."""
    from templates_src.builders import plain

    template = build_template({**SHAPES, **_product_shapes()}[name])
    assert json.dumps(plain.body(template)) == json.dumps(template.to_dict())


def test_plain_body_validates_like_troposphere():
    """A required property missing: the same error as Template.to_dict()."""
    from troposphere import Template
    from troposphere.sns import Topic, Subscription

    from templates_src.builders import plain

    template = Template()
    template.add_resource(Topic("Topic", Subscription=[Subscription(Protocol="email")]))
    with pytest.raises(ValueError) as theirs:
        template.to_dict()
    with pytest.raises(ValueError) as ours:
        plain.body(template)
    assert str(ours.value) == str(theirs.value)
