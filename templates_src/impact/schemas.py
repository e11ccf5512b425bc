"""What CloudFormation's resource provider schemas say about a type, read from cfn-lint's data.

cfn-lint ships the provider schemas of every region (``cfnlint/data/schemas/providers/<region>.json``
maps each type to a schema file under ``resources/``). We read those files directly, as cfn-lint's
``ProviderSchemaManager.get_resource_schema`` does, instead of importing cfn-lint: the import
costs ~0.7 s, more than a whole ``--no-lint`` build, and this runs on every build. The bundled
data only (never cfn-lint's schema cache updated from the network), so the same input gives the
same answer on every machine with the pinned cfn-lint. Each (region, type) is read once per
process.

The facts used (https://docs.aws.amazon.com/cloudformation-cli/latest/userguide/resource-type-schema.html):
- ``createOnlyProperties``: "properties that can only be specified when the resource is created;
  changing them requires the resource to be replaced" (JSON pointers, possibly nested, ``*`` for
  every item of an array);
- ``primaryIdentifier``: the properties that identify a resource (its physical id);
- ``readOnlyProperties``: set by the service, never by the template.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PROPERTIES_PREFIX = "/properties/"


class SchemaNotFound(LookupError):
    """No provider schema for this type in this region."""


@cache
def _data_dir() -> Path:
    spec = importlib.util.find_spec("cfnlint")  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise SchemaNotFound("cfn-lint is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "schemas"


@cache
def _provider_index(region: str) -> dict[str, str]:
    providers = _data_dir() / "providers"
    path = providers / f"{region}.json"
    if not path.is_file():  # cfn-lint's own fallback for a region it has no file for
        path = providers / "us-east-1.json"
    return dict(json.loads(path.read_text(encoding="utf-8")))


def _property_path(pointer: str) -> str:
    """``/properties/GenerateSecretString/PasswordLength`` -> ``GenerateSecretString/PasswordLength``."""
    return pointer[len(PROPERTIES_PREFIX):] if pointer.startswith(PROPERTIES_PREFIX) else pointer.lstrip("/")


@dataclass(frozen=True)
class ResourceSchema:
    type_name: str
    create_only: tuple[str, ...]        # property paths, "/" between levels, "*" for array items
    primary_identifier: tuple[str, ...]
    read_only: frozenset[str]
    properties: frozenset[str]          # top-level property names

    @property
    def name_properties(self) -> tuple[str, ...]:
        """The properties holding the resource's own name, if the template may set one.

        CloudFormation: "If you specify a name, you can't perform updates that require
        replacement of this resource" (Name type,
        https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-name.html):
        the replacement is created while the old resource still holds the name.
        - A primaryIdentifier the template writes (not read-only) is such a name: the physical
          id is the customer's (DBProxyName, LogGroupName, AliasName, RoleName).
        - Where the identifier is generated (an ARN or id), the name is the writable property
          ``<end of the type's name>Name``: ``Name`` (Secret), ``ManagedPolicyName``,
          ``GroupName`` (Security*Group*), ``TargetGroupName`` (DBProxy*TargetGroup*). A property
          naming another resource (``DBProxyName`` of a target group, ``GroupName`` of an ingress
          rule) does not match: it is the parent's name, not this resource's.
        """
        writable_ids = tuple(p for p in self.primary_identifier if p not in self.read_only)
        if writable_ids:
            return writable_ids
        short = self.type_name.rsplit("::", 1)[-1]
        return tuple(sorted(p for p in self.properties - self.read_only
                            if p.endswith("Name") and short.endswith(p[:-len("Name")])))


@cache
def resource_schema(region: str, type_name: str) -> ResourceSchema:
    """The schema facts of ``type_name`` in ``region`` (raises SchemaNotFound)."""
    digest = _provider_index(region).get(type_name)
    if not digest:
        raise SchemaNotFound(f"no provider schema for {type_name} in {region}")
    raw = json.loads((_data_dir() / "resources" / f"{digest}.json").read_text(encoding="utf-8"))
    return ResourceSchema(
        type_name=type_name,
        create_only=tuple(_property_path(p) for p in raw.get("createOnlyProperties", ())),
        primary_identifier=tuple(_property_path(p) for p in raw.get("primaryIdentifier", ())),
        read_only=frozenset(_property_path(p) for p in raw.get("readOnlyProperties", ())),
        properties=frozenset(raw.get("properties", {})),
    )


def unknown_schema(type_name: str) -> ResourceSchema:
    """A type without a schema (a custom resource, a type new to CloudFormation): no property is
    known to be create-only, so only real differences show, never a guessed replacement."""
    return ResourceSchema(type_name, (), (), frozenset(), frozenset())


def schema_for(region: str, type_name: str) -> ResourceSchema:
    """The schema of ``type_name`` in ``region``, the unknown one when there is none."""
    try:
        return resource_schema(region, type_name)
    except SchemaNotFound:
        return unknown_schema(type_name)
