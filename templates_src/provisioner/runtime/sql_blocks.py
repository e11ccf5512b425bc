"""db-users.sql cut into named blocks, and its password placeholders filled in memory.

The project renders one db-users.sql per env (templates_src/templates/db-users.*.sql.j2): blocks
separated by blank lines, each opening with `-- ` comment lines, the first of which names it
(`-- billing_app (role app)`, `-- grants of billing_app`). A failure names its block. Lines
starting with a backslash are psql meta-commands (`\\set ON_ERROR_STOP on`): only psql reads them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from failures import ProvisionError

PLACEHOLDER = "<password of {username}>"  # templates_src/sql_facts.py, PASSWORD_PLACEHOLDER
_ANY_PLACEHOLDER = re.compile(r"<password of ([^<>\s]+)>")


@dataclass(frozen=True)
class Block:
    name: str
    sql: str  # placeholders still in: fill with substitute() just before running it


def split_blocks(sql: str) -> list[Block]:
    """The blocks that hold SQL, in order; comment-only blocks (the file's header) are left out."""
    chunks: list[list[str]] = [[]]
    for line in sql.splitlines():
        if not line.strip():
            chunks.append([])
        elif not line.startswith("\\"):
            chunks[-1].append(line)
    blocks: list[Block] = []
    for lines in chunks:
        statements = [line for line in lines if not line.lstrip().startswith("--")]
        if not statements:
            continue
        after = f" (after block {blocks[-1].name!r})" if blocks else ""
        if not lines[0].startswith("-- "):
            raise ProvisionError(f"a block of Sql opens with no -- comment naming it{after}")
        name = lines[0][3:].strip()
        if not statements[-1].rstrip().endswith(";"):
            raise ProvisionError(f"block {name!r} of Sql does not end with a semicolon")
        blocks.append(Block(name, "\n".join(lines) + "\n"))
    if not blocks:
        raise ProvisionError("Sql holds no statement")
    return blocks


def placeholders(sql: str) -> set[str]:
    """The usernames whose password placeholder the text holds."""
    return set(_ANY_PLACEHOLDER.findall(sql))


def substitute(sql: str, forms: dict[str, str]) -> str:
    """Every placeholder replaced in one pass by its user's SQL form (``forms``: username -> form),
    so a password that happens to look like a placeholder is never replaced in turn."""
    table = {PLACEHOLDER.format(username=user): form for user, form in forms.items()}
    if not table:
        return sql
    pattern = "|".join(map(re.escape, sorted(table, key=len, reverse=True)))
    return re.sub(pattern, lambda match: table[match.group()], sql)
