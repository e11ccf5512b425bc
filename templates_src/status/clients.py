"""boto3 clients that can only read: each is wrapped so that only the operations of
``facts.ALLOWED_OPERATIONS`` can be called.

Two guards, both before any request is built: the wrapper exposes only the allowed operations'
methods (any other attribute, ``delete_db_proxy`` or ``get_paginator`` alike, raises
``RefusedOperation``), and a ``before-parameter-build`` handler on the client itself refuses any
other operation should the raw client be reached anyway. The allow-list is checked against
botocore's service models: every name must exist and start with Describe, Get or List.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from .facts import ALLOWED_OPERATIONS, READ_ONLY_PREFIXES


class RefusedOperation(RuntimeError):
    """An operation outside the allow-list: refused before any request is made."""


class Session(Protocol):
    """What status needs of a boto3 Session (tests pass one handing out stubbed clients)."""

    def client(self, service_name: str, region_name: str | None = None) -> Any: ...


def check_allow_list(allowed: Mapping[str, tuple[str, ...]] = ALLOWED_OPERATIONS) -> list[str]:
    """The problems of an allow-list against botocore's service models (none: it is sound)."""
    import botocore.session  # lazily: only the status command needs botocore

    problems = []
    session = botocore.session.get_session()
    for service, operations in allowed.items():
        names = set(session.get_service_model(service).operation_names)
        for operation in operations:
            if operation not in names:
                problems.append(f"{service}:{operation} is not an operation of {service}")
            if not operation.startswith(READ_ONLY_PREFIXES):
                problems.append(f"{service}:{operation} is not a read (Describe/Get/List) operation")
    return problems


class ReadOnlyClient:
    """A boto3 client of which only the allowed operations are reachable."""

    def __init__(self, client: Any, service: str, allowed: Mapping[str, tuple[str, ...]] = ALLOWED_OPERATIONS):
        operations = frozenset(allowed.get(service, ()))
        by_method = {method: op for method, op in client.meta.method_to_api_mapping.items() if op in operations}
        object.__setattr__(self, "_client", client)
        object.__setattr__(self, "_service", service)
        object.__setattr__(self, "_methods", by_method)
        object.__setattr__(self, "exceptions", client.exceptions)  # the error classes, to catch them

        def refuse_others(model: Any, **_: Any) -> None:
            if model.name not in operations:
                raise RefusedOperation(f"{service}:{model.name} is not on status's read-only allow-list")

        client.meta.events.register_first(f"before-parameter-build.{client.meta.service_model.service_id.hyphenize()}",
                                          refuse_others)

    def __getattr__(self, name: str) -> Any:
        if name in self._methods:
            return getattr(self._client, name)
        operation = self._client.meta.method_to_api_mapping.get(name, name)
        raise RefusedOperation(f"{self._service}:{operation} is not on status's read-only allow-list")

    def __setattr__(self, name: str, value: Any) -> None:
        raise RefusedOperation("a read-only client cannot be changed")


def connect(session: Session, region: str) -> dict[str, ReadOnlyClient]:
    """The read-only clients status uses, by service name."""
    if problems := check_allow_list():
        raise RefusedOperation("; ".join(problems))
    return {service: ReadOnlyClient(session.client(service, region_name=region), service)
            for service in ALLOWED_OPERATIONS}
