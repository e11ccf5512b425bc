"""What the provisioner says when something fails: one line, safe to show anywhere.

CloudFormation shows a FAILED response's Reason in the stack's events, which many people can
read, so a Reason names a block, a user or a secret and an error code, never a statement, a
server's message (MySQL's syntax errors quote the statement, passwords included) nor a secret.
"""

from __future__ import annotations

import re
import socket
import ssl

# The common causes, by PostgreSQL SQLSTATE (PostgreSQL documentation, Appendix A "PostgreSQL
# Error Codes") or MySQL/MariaDB error number (MySQL Server Error Message Reference).
_ADMIN_LACKS = "the admin user lacks a privilege this needs (RDS's master user has it)"
_ADMIN_REFUSED = "the admin secret's username or password is not the database's"
HINTS = {
    "42501": _ADMIN_LACKS,
    "0LP01": _ADMIN_LACKS,
    "28P01": _ADMIN_REFUSED,
    "28000": "the database refused the admin's login (pg_hba.conf or the admin's password)",
    "3D000": "DatabaseName does not exist on the target",
    "3F000": "the schema the grants are in does not exist",
    "42704": "an object or role the SQL names does not exist (rds_iam exists only on RDS)",
    "1044": _ADMIN_LACKS,
    "1045": "the database refused the admin's login, or the admin lacks a privilege",
    "1142": _ADMIN_LACKS,
    "1227": _ADMIN_LACKS,
    "1410": _ADMIN_LACKS,
    "1049": "DatabaseName does not exist on the target",
    "1524": "an authentication plugin the SQL names is not loaded (AWSAuthenticationPlugin exists only on RDS)",
}
# Codes whose server message quotes the statement: it stays out of the logs too.
QUOTES_STATEMENT = frozenset({"42601", "1064", "1149"})
NETWORK_HINT = "check the security groups, subnets and routes between the function and the database"
CERTIFICATE_HINT = ("the server's certificate does not verify against the CA bundle (rds-ca-bundle.pem or "
                    "CaBundle) or does not name the endpoint")


class ProvisionError(Exception):
    """A failure whose message is one safe line (the FAILED response's Reason)."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))


def with_hint(text: str, code: str | None) -> str:
    hint = HINTS.get(code or "")
    return f"{text} ({hint})" if hint else text


def causes(exc: BaseException):
    """exc and what it wraps: __cause__, __context__ and PyMySQL's original_exception."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [current.__cause__, current.__context__, getattr(current, "original_exception", None)]


def connection_problem(exc: BaseException) -> str | None:
    """A safe description of why a connection failed, or None when it was no network or TLS failure."""
    for cause in causes(exc):
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"certificate verify failed: {cause.verify_message} ({CERTIFICATE_HINT})"
        if isinstance(cause, ssl.SSLError):
            return f"TLS handshake failed: {cause.reason or 'SSLError'}"
        if isinstance(cause, socket.gaierror):
            return "the endpoint's name does not resolve (the VPC's DNS resolution and hostnames)"
        if isinstance(cause, ConnectionRefusedError):
            return f"connection refused ({NETWORK_HINT})"
        if isinstance(cause, (TimeoutError, socket.timeout)):
            return f"connection timed out ({NETWORK_HINT})"
        if isinstance(cause, OSError) and cause.errno is not None:
            return f"network error {cause.errno} ({NETWORK_HINT})"
    return None


def redact(text: str, secrets: list[str]) -> str:
    """text with each secret, and any start of one of 8 characters or more, replaced by [redacted]
    (a server's message can quote a statement cut in the middle of a password)."""
    starts = {secret[:end] for secret in secrets if secret for end in range(len(secret), 7, -1)}
    starts |= {secret for secret in secrets if 0 < len(secret) < 8}
    if not starts:
        return text
    pattern = "|".join(map(re.escape, sorted(starts, key=len, reverse=True)))
    return re.sub(pattern, "[redacted]", text)
