"""How the params schema declares a key (``key``, ``internal``) and how a schema class is read back
(``params_fields``, ``field_types``), and what each identifier pattern allows in words (for error
messages). The section modules declare the keys themselves."""

from __future__ import annotations

import dataclasses
import types
import typing
from functools import cache
from typing import Any

from ...facts import aws as facts
from ...facts import stack_sets as stack_set_facts
from ...facts import monitoring as monitoring_facts
from ...facts import provisioner as provisioner_facts
from ...facts.sql import SQL_IDENTIFIER_PATTERN

_REQUIRED = dataclasses.MISSING
INSTANCE_CLASS_PATTERN = r"^db\.(?:[a-z0-9]+\.[a-z0-9]+|serverless)$"

# What each identifier pattern of facts.aws allows, in words, for error messages.
PATTERN_DOCS = {
    facts.PROXY_NAME_PATTERN: "a lowercase letter first, then lowercase letters, digits and single hyphens, "
                              "no hyphen at the end",
    facts.DB_IDENTIFIER_PATTERN: "a letter first, then letters, digits and single hyphens, no hyphen at the end, "
                                 "at most 63 characters",
    facts.USERNAME_PATTERN: "a letter or _ first, then letters, digits and _, at most 63 characters",
    facts.STACK_NAME_PATTERN: "a letter first, then letters, digits and hyphens, at most 128 characters",
    facts.REGION_PATTERN: "a region code like us-east-1 or eu-west-1",
    facts.VPC_ID_PATTERN: "vpc- and 8 or 17 lowercase hex digits",
    facts.SUBNET_ID_PATTERN: "subnet- and 8 or 17 lowercase hex digits",
    facts.SECURITY_GROUP_ID_PATTERN: "sg- and 8 or 17 lowercase hex digits",
    facts.KMS_KEY_ARN_PATTERN: "a key ARN, arn:aws:kms:<region>:<12-digit account>:key/<key id>",
    monitoring_facts.SNS_TOPIC_ARN_PATTERN: "a topic ARN, arn:aws:sns:<region>:<12-digit account>:<topic name>",
    INSTANCE_CLASS_PATTERN: "a DB instance class like db.r6g.large, or db.serverless",
    SQL_IDENTIFIER_PATTERN: "a letter or _ first, then letters, digits and _, at most 63 characters",
    r"^[A-Z]+(?: [A-Z]+)*$": "a privilege in capitals, like SELECT or CREATE VIEW",
    facts.DB_RESOURCE_ID_PATTERN: "the database's resource id: db-... (DbiResourceId) for an instance, "
                                  "cluster-... (DbClusterResourceId) for a cluster, upper case",
    facts.SECRET_ARN_PATTERN: "a secret ARN, arn:aws:secretsmanager:<region>:<12-digit account>:secret:<name>",
    stack_set_facts.ACCOUNT_ID_PATTERN: "a 12-digit AWS account id, quoted",
    facts.IAM_MANAGED_POLICY_ARN_PATTERN: "a managed policy ARN, arn:aws:iam::<12-digit account or aws>:policy/<name>",
    facts.IAM_PATH_PATTERN: "an IAM path: / alone, or / then printable ASCII characters (no backtick) then /",
    facts.IAM_ROLE_ARN_PATTERN: "a role ARN, arn:aws:iam::<12-digit account>:role/<path and name>",
    facts.IAM_PRINCIPAL_ARN_PATTERN: "a role or user ARN, arn:aws:iam::<12-digit account>:role/<name> or :user/<name>",
    provisioner_facts.S3_BUCKET_PATTERN: "an S3 bucket name: 3 to 63 lowercase letters, digits, dots and hyphens",
    provisioner_facts.PREFIX_LIST_ID_PATTERN: "pl- and 8 or 17 lowercase hex digits",
    provisioner_facts.SHA256_PATTERN: "64 lowercase hex digits (sha256sum's output)",
    stack_set_facts.ORGANIZATIONAL_UNIT_PATTERN: "an OU id (ou-, 4 to 32 letters or digits, -, 8 to 32 more) or a root id (r-...)",
}


def key(
    doc: str,
    *,
    default: Any = _REQUIRED,
    minimum: float | None = None,
    maximum: float | None = None,
    multiple_of: float | None = None,
    choices: tuple[Any, ...] | None = None,
    pattern: str | None = None,
    max_length: int | None = None,
    min_items: int | None = None,
    max_items: int | None = None,
    unique: bool = False,
    derived: str | None = None,
) -> Any:
    """Declare one params key: its documentation, default and constraints."""
    meta = {
        "doc": doc,
        "minimum": minimum,
        "maximum": maximum,
        "multiple_of": multiple_of,
        "choices": choices,
        "pattern": pattern,
        "pattern_doc": PATTERN_DOCS.get(pattern) if pattern else None,
        "max_length": max_length,
        "min_items": min_items,
        "max_items": max_items,
        "unique": unique,
        "derived": derived,
    }
    if default is _REQUIRED:
        return dataclasses.field(metadata=meta)
    if isinstance(default, (list, dict)):
        raise TypeError("use tuples for list defaults; mutable defaults are shared")
    return dataclasses.field(default=default, metadata=meta)


def internal(doc: str, default: str = "") -> Any:
    """A field the loader (or the command line) fills in, never read from a params file."""
    return dataclasses.field(default=default, metadata={"doc": doc, "internal": True})


@cache
def field_types(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def params_fields(cls: type) -> list[dataclasses.Field]:
    """The fields of a schema class that are read from params files."""
    return [f for f in dataclasses.fields(cls) if not f.metadata.get("internal")]


def unwrap_optional(tp: Any) -> tuple[Any, bool]:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return args[0], True
    return tp, False
