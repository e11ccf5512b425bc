"""What db-users.sql grants each user, per engine: privileges sorted into where they apply.

Passwords never appear here: the SQL holds a placeholder per password user that
create-db-users.sh replaces, in memory, with what it derives from the user's secret at run time
(PostgreSQL: a SCRAM-SHA-256 verifier, so the server never sees the password itself). IAM users
(end-to-end IAM) have no password at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..builders import names
from ..facts.aws import EngineFamily
from ..config.schema.model import EnvConfig, UserParams
from ..facts.sql import NON_TABLE_PRIVILEGES, PASSWORD_PLACEHOLDER, ROLE_PRIVILEGES, GrantScope, UserRole


@dataclass(frozen=True)
class UserGrants:
    username: str
    placeholder: str | None  # None for an IAM user
    on_tables: tuple[str, ...]
    on_schema: tuple[str, ...]
    on_database: tuple[str, ...]
    role: str | None  # the role's name, or None for an explicit list or no grants
    md5: bool  # PostgreSQL POSTGRES_MD5 users need an md5 password hash
    # Where create-db-users.sh finds the password: the stack's secret by logical id (read while
    # the stack is still being created, when it has no outputs yet) or a brought secret's ARN.
    secret: str | None
    # PostgreSQL: tables the migration users create later reach this user too (ALTER DEFAULT
    # PRIVILEGES FOR ROLE each of them).
    tables_created_by: tuple[str, ...] = ()

    @property
    def iam(self) -> bool:
        return self.placeholder is None

    @property
    def granted(self) -> bool:
        return bool(self.on_tables or self.on_schema or self.on_database)


# What create-db-users.sh puts in a password placeholder: a Python program reading the secret's
# JSON on stdin (argv: username, "md5" for a POSTGRES_MD5 user), printing SQL-literal-safe text.
# A password with a control character is refused: a newline could end sqlcmd's string at a GO
# line, and no generated password has one (Secrets Manager uses printable ASCII).
_READ = ('import json, sys; p = json.load(sys.stdin)["password"]\n'
         'if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in p):\n'
         '    sys.exit("create-db-users.sh: the password of " + sys.argv[1] + " holds a control character; refused")\n')
# Replaces every placeholder of db-users.sql in one pass: stdin is the SQL, then placeholder and
# password pairs, each ended by NUL (no shell value can hold one).
SUBSTITUTE = ('import re, sys\n'
              'sql, *pairs = sys.stdin.buffer.read().split(b"\\0")[:-1]\n'
              'table = dict(zip(pairs[0::2], pairs[1::2]))\n'
              'sys.stdout.buffer.write(re.sub(b"|".join(map(re.escape, table)), lambda m: table[m.group()], sql))\n')
# The other way, for what the database client prints: each password as sent (and any start of it
# of 8 characters or more, the longest first) back to its placeholder. A server's error can quote
# the failing statement, and MySQL's and MariaDB's syntax errors cut their quote at 80 characters
# (ER_PARSE_ERROR, "near '%-.80s'"), possibly inside a password. stdin: the text, then password
# and placeholder pairs, NUL-ended.
REDACT = ('import re, sys\n'
          'text, *pairs = sys.stdin.buffer.read().split(b"\\0")[:-1]\n'
          'table = {}\n'
          'for secret, name in zip(pairs[0::2], pairs[1::2]):\n'
          '    for end in range(len(secret), 7, -1):\n'
          '        table.setdefault(secret[:end], name)\n'
          'pattern = b"|".join(map(re.escape, sorted(table, key=len, reverse=True)))\n'
          'sys.stdout.buffer.write(re.sub(pattern, lambda m: table[m.group()], text) if table else text)\n')
PASSWORD_FILTERS: dict[EngineFamily, str] = {
    # Inside '...' MySQL reads \ as an escape and '' as a quote; db-users.mysql.sql.j2 first drops
    # NO_BACKSLASH_ESCAPES from the session's sql_mode, under which \\ would stay two characters
    # (https://dev.mysql.com/doc/refman/8.0/en/string-literals.html).
    EngineFamily.MYSQL: _READ + r"""print(p.replace("\\", "\\\\").replace("'", "''"), end="")""",
    # PostgreSQL stores a pre-hashed password as given (CREATE ROLE, "PASSWORD": an already
    # encrypted string is stored as is), so the server and its statement log never see the
    # password: a SCRAM-SHA-256 verifier (RFC 5802/7677, 4096 iterations, PostgreSQL's format), or
    # md5 of password+username for POSTGRES_MD5 users. Base64, hex, $ and : need no quoting.
    EngineFamily.POSTGRESQL: _READ + (
        "import base64, hashlib, hmac, os; u = sys.argv[1]; b = lambda x: base64.b64encode(x).decode()\n"
        "if sys.argv[2:] == ['md5']:\n"
        "    print('md5' + hashlib.md5((p + u).encode()).hexdigest(), end='')\n"
        "else:\n"
        "    salt = os.urandom(16); k = hashlib.pbkdf2_hmac('sha256', p.encode(), salt, 4096)\n"
        "    c = hmac.new(k, b'Client Key', 'sha256').digest(); s = hmac.new(k, b'Server Key', 'sha256').digest()\n"
        "    print(f'SCRAM-SHA-256$4096:{b(salt)}${b(hashlib.sha256(c).digest())}:{b(s)}', end='')"
    ),
    # N'...': a quote is doubled; sqlcmd runs with -x, so $(...) is no scripting variable.
    EngineFamily.SQLSERVER: _READ + """print(p.replace("'", "''"), end="")""",
}


def privileges(cfg: EnvConfig, user: UserParams) -> tuple[str, ...]:
    if user.privileges is not None:
        return user.privileges
    if user.role is not None:
        return ROLE_PRIVILEGES[cfg.engine_family][user.role]
    return ()


def migration_users(cfg: EnvConfig) -> tuple[str, ...]:
    """The users whose future tables the others get default privileges on (PostgreSQL)."""
    return tuple(u.username for u in cfg.sql_users if u.role is UserRole.MIGRATION)


def user_grants(cfg: EnvConfig) -> list[UserGrants]:
    scopes = NON_TABLE_PRIVILEGES[cfg.engine_family]
    iam = cfg.end_to_end_iam
    migrators = migration_users(cfg)
    result = []
    for user in cfg.sql_users:  # the master is left alone
        granted = privileges(cfg, user)

        def scoped(scope: GrantScope) -> tuple[str, ...]:
            return tuple(p for p in granted if scopes.get(p, GrantScope.TABLES) is scope)

        result.append(UserGrants(
            username=user.username,
            placeholder=None if iam else PASSWORD_PLACEHOLDER.format(username=user.username),
            on_tables=scoped(GrantScope.TABLES),
            on_schema=scoped(GrantScope.SCHEMA),
            on_database=scoped(GrantScope.DATABASE),
            role=user.role.value if user.role else None,
            md5=not iam and user.client_password_auth_type.value == "POSTGRES_MD5",
            secret=None if iam else user.secret_arn or names.secret(user.username),
            tables_created_by=tuple(m for m in migrators if m != user.username),
        ))
    return result
