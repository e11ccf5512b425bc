"""The editor schema is derived from the model and agrees with the validator on the examples."""

from __future__ import annotations

import dataclasses
import json

import jsonschema
import pytest
import yaml

from templates_src.config.schema.json_schema import SCHEMA_FILE, params_schema
from templates_src.config.schema.model import EnvConfig, PoolParams
from templates_src.config.schema.keys import params_fields

from conftest import GENERATED, PARAMS

EXAMPLES = sorted(PARAMS.glob("*.yaml"))


@pytest.mark.golden
def test_committed_schema_is_the_derived_one() -> None:
    committed = json.loads((GENERATED / SCHEMA_FILE).read_text())
    assert committed == params_schema()


@pytest.mark.unit
def test_every_model_key_is_in_the_schema() -> None:
    schema = params_schema()
    assert sorted(schema["properties"]) == sorted(f.name for f in params_fields(EnvConfig))
    pool = schema["properties"]["pool"]["properties"]
    assert sorted(pool) == sorted(f.name for f in dataclasses.fields(PoolParams))
    assert pool["max_connections_percent"] == {
        "description": pool["max_connections_percent"]["description"],
        "type": "integer", "minimum": 1, "maximum": 100, "default": 100,
    }


@pytest.mark.unit
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_schema_accepts_every_example(path) -> None:
    jsonschema.validate(yaml.safe_load(path.read_text()), params_schema())


@pytest.mark.unit
@pytest.mark.parametrize("defect", [
    {"proxy": {"name": "Orders"}},
    {"proxy": {"idle_client_timeout": 0}},
    {"proxy": {"log_retention_days": 31}},
    {"engine_family": "ORACLE"},
    {"pool": {"max_connections_percnt": 10}},
    {"users": [{"description": "no username"}]},
    {"network": {"subnet_ids": ["subnet-0a1b2c3d4e5f60711"]}},
])
def test_schema_rejects_a_bad_file(defect) -> None:
    document = yaml.safe_load((PARAMS / "dev.yaml").read_text())
    for section, value in defect.items():
        document[section] = {**document[section], **value} if isinstance(value, dict) else value
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, params_schema())


@pytest.mark.unit
def test_every_example_names_the_schema() -> None:
    for path in EXAMPLES:
        assert path.read_text().startswith(f"# yaml-language-server: $schema=../generated/{SCHEMA_FILE}\n")
