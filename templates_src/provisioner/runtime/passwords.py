"""A password's SQL form, as create-db-users.sh derives it (templates_src/db_users.py,
PASSWORD_FILTERS): the same forms, so both ways of creating the users store the same thing.

- scram-sha-256: a SCRAM-SHA-256 verifier in PostgreSQL's format. PostgreSQL stores an already
  encrypted password as given (CREATE ROLE, "PASSWORD"), so the server and its statement log
  never see the password.
- md5: 'md5' + md5(password + username), for POSTGRES_MD5 users.
- literal: the password inside MySQL's '...', with \\ and ' escaped (the SQL first drops
  NO_BACKSLASH_ESCAPES from the session's sql_mode).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from failures import ProvisionError

SCRAM_ITERATIONS = 4096  # PostgreSQL's default (scram_iterations)
SCRAM_SALT_BYTES = 16
FORMS = ("scram-sha-256", "md5", "literal")


def refuse_control_characters(username: str, password: str) -> None:
    # As create-db-users.sh: no generated password has one (Secrets Manager uses printable ASCII),
    # and a newline or NUL inside a statement is a hazard, not a password.
    if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in password):
        raise ProvisionError(f"the password of {username} holds a control character; refused")


def scram_sha_256(password: str, salt: bytes | None = None) -> str:
    """RFC 5802/7677 keys in PostgreSQL's SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>."""
    salt = os.urandom(SCRAM_SALT_BYTES) if salt is None else salt
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, SCRAM_ITERATIONS)
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()
    b64 = lambda data: base64.b64encode(data).decode()  # noqa: E731
    return f"SCRAM-SHA-256${SCRAM_ITERATIONS}:{b64(salt)}${b64(hashlib.sha256(client_key).digest())}:{b64(server_key)}"


def md5(username: str, password: str) -> str:
    return "md5" + hashlib.md5((password + username).encode()).hexdigest()


def mysql_literal(password: str) -> str:
    return password.replace("\\", "\\\\").replace("'", "''")


def sql_form(form: str, username: str, password: str) -> str:
    """What replaces the user's placeholder in the SQL."""
    refuse_control_characters(username, password)
    if form == "scram-sha-256":
        return scram_sha_256(password)
    if form == "md5":
        return md5(username, password)
    if form == "literal":
        return mysql_literal(password)
    raise ProvisionError(f"user {username}: PasswordForm must be one of {', '.join(FORMS)}, got {form!r}")
