"""create-db-users.sh with hostile passwords and names (property 1).

The generated script runs with database admin credentials. For usernames the validator accepts
and passwords drawn from everything a generated secret can hold (printable ASCII; with
``exclude_characters: ""`` that includes quotes, backslashes, ``$(...)``, backticks and another
user's placeholder), run with stub ``aws`` and a stub database client on PATH, it must send each
user's password only into that user's own password statement, and run nothing but the client:
a password that tries ``$(touch …)`` leaves no file behind.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from templates_src.builders import names
from templates_src.dbusers.grants import REDACT
from templates_src.render.files import DB_USERS_SCRIPT_FILE, DB_USERS_SQL_FILE, db_users_files

from builders.envs import POSTGRES, SQLSERVER, make_cfg

pytestmark = pytest.mark.properties

# Secrets stubs: the secret's ARN ends with its logical id; get-secret-value answers from a file.
FAKE_AWS = r'''
import json, sys
from pathlib import Path
args = sys.argv[1:]
log = Path(__LOG__)
with log.open("a") as handle:
    handle.write("aws " + " ".join(args[:2]) + "\n")
opt = lambda name: args[args.index(name) + 1]
if args[:2] == ["cloudformation", "describe-stack-resource"]:
    print("arn:aws:secretsmanager:eu-west-1:111122223333:secret:" + opt("--logical-resource-id"))
elif args[:2] == ["secretsmanager", "get-secret-value"]:
    secrets = json.loads(Path(__SECRETS__).read_text())
    print(json.dumps({"username": "x", "password": secrets[opt("--secret-id").rsplit(":", 1)[1]]}))
else:
    sys.exit("unexpected aws call: " + " ".join(args))
'''
FAKE_CLIENT = r'''
import sys
from pathlib import Path
with Path(__LOG__).open("a") as handle:
    handle.write("client " + " ".join(sys.argv[1:2]) + "\n")
if sys.argv[1:] == ["--version"]:
    print("mysql  Ver 8.0.36 for Linux on x86_64 (MySQL Community Server - GPL)")
    sys.exit(0)
Path(__SQL__).write_bytes(sys.stdin.buffer.read())
'''
# A client that fails and repeats what it got on both streams, as a server's error quoting the
# statement and the MariaDB client's print-query-on-error would.
FAILING_CLIENT = r'''
import sys
if sys.argv[1:] == ["--version"]:
    print("mysql  Ver 15.1 Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)")
    sys.exit(0)
sent = sys.stdin.read()
print(sent)
print("ERROR 1064 (42000) at line 3: You have an error in your SQL syntax near '" + sent[-80:] + "'", file=sys.stderr)
sys.exit(1)
'''
CLIENTS = {"MYSQL": "mysql", "MARIADB": "mysql", "POSTGRESQL": "psql", "SQLSERVER": "sqlcmd"}
SHAPES = {"MYSQL": (), "MARIADB": ({"target": {"engine": "mariadb"}},), "POSTGRESQL": (POSTGRES,),
          "SQLSERVER": (SQLSERVER,)}

# Usernames the validator takes (facts.sql.SQL_IDENTIFIER_PATTERN, no reserved names or prefixes).
_USERNAME = st.from_regex(r"[a-z_][a-z0-9_]{0,12}", fullmatch=True).filter(
    lambda u: not u.startswith(("pg_", "rds", "mysql")) and u not in {"admin", "root", "sa", "postgres", "guest",
                                                                      "public", "sys", "dbo", "user", "none"})


def _passwords(marker: Path, others: list[str]) -> st.SearchStrategy[str]:
    """Printable ASCII, with what an attacker would try mixed in."""
    hostile = st.sampled_from([f"$(touch {marker})", f"`touch {marker}`", "'; DROP TABLE x; --", "\\'", "\\",
                               "''", '"', "$(MYSQL_PWD)", "%s", "\\0", *(f"<password of {u}>" for u in others)])
    plain = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=24)
    # At least 16 characters, as every generated secret here (facts.aws.PASSWORD_LENGTH_RANGE).
    return st.lists(st.one_of(plain, hostile), min_size=1, max_size=4).map("".join).map(lambda p: p.ljust(16, "x"))


def _stub(path: Path, source: str, **values: Path) -> None:
    for name, value in values.items():
        source = source.replace(f"__{name}__", repr(str(value)))
    path.write_text(f"#!{sys.executable}\n{source}")
    path.chmod(0o755)


def _run(tmp: Path, cfg, secrets: dict[str, str], engine: str,
         client: str = FAKE_CLIENT) -> tuple[bytes, list[str], subprocess.CompletedProcess]:
    out, bin_dir = tmp / "out", tmp / "bin"
    out.mkdir(parents=True, exist_ok=True)
    bin_dir.mkdir(exist_ok=True)
    for name, text in db_users_files(cfg).items():
        (out / Path(name).name).write_text(text)
    log, sql, secrets_file = tmp / "calls.log", tmp / "sent.sql", tmp / "secrets.json"
    log.write_text("")
    sql.unlink(missing_ok=True)
    secrets_file.write_text(json.dumps(secrets))
    _stub(bin_dir / "aws", FAKE_AWS, LOG=log, SECRETS=secrets_file)
    _stub(bin_dir / CLIENTS[engine], client, LOG=log, SQL=sql)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp), "DB_HOST": "db.example", "DB_ADMIN_USER": "admin",
           "RDS_CA_BUNDLE": str(tmp / "bundle.pem")}
    done = subprocess.run(["bash", str(out / DB_USERS_SCRIPT_FILE)], env=env, capture_output=True, timeout=60)
    return (sql.read_bytes() if sql.exists() else b""), log.read_text().splitlines(), done


def _statements(sql: str) -> list[str]:
    return [line for line in sql.splitlines() if line.strip() and not line.startswith("--")]


def _literal(engine: str, password: str) -> str:
    """How the password is written inside '...' in the engine's SQL (db_users.PASSWORD_FILTERS)."""
    if engine in ("MYSQL", "MARIADB"):
        return password.replace("\\", "\\\\").replace("'", "''")
    return password.replace("'", "''")


@settings(max_examples=12, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate])
@given(data=st.data(), engine=st.sampled_from(sorted(SHAPES)))
def test_each_password_goes_only_into_its_own_users_statement(tmp_path_factory, data, engine) -> None:
    tmp = tmp_path_factory.mktemp("script")
    marker = tmp / "executed"
    usernames = data.draw(st.lists(_USERNAME, min_size=1, max_size=3, unique=True), label="usernames")
    cfg = make_cfg(*SHAPES[engine], {"users": [{"username": u} for u in usernames]})
    passwords = {u: data.draw(_passwords(marker, [o for o in usernames if o != u]), label=f"password of {u}")
                 for u in usernames}
    sent, calls, done = _run(tmp, cfg, {names.secret(u): p for u, p in passwords.items()}, engine)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert not marker.exists(), "a password was run as a command"
    # Nothing ran but the AWS CLI (describe the secret, read it) and the database client.
    assert {call.split()[0] for call in calls} <= {"aws", "client"}
    assert all(c.startswith(("aws cloudformation describe-stack-resource", "aws secretsmanager get-secret-value",
                             "client")) for c in calls)
    sql = sent.decode()
    statements = _statements(sql)
    for user, password in passwords.items():
        own = [s for s in statements if re.search(rf"(['\"\[]){re.escape(user)}(['\"\]])", s)]
        if engine == "POSTGRESQL":  # a SCRAM verifier travels, never the password
            assert f"'{password}'" not in sql and f"'{_literal(engine, password)}'" not in sql
            assert any("SCRAM-SHA-256$4096:" in s for s in own)
            continue
    if engine == "POSTGRESQL":
        return
    # Every password statement: whose it is, and the literal it sets.
    pattern = _PASSWORD_STATEMENT[engine]
    found = [(m.group("user"), m.group("password")) for s in statements if (m := re.search(pattern, s))]
    assert sorted(u for u, _ in found) == sorted([*passwords, *passwords])  # CREATE and ALTER, each user
    for user, literal in found:
        assert literal == _literal(engine, passwords[user]), (user, literal)
    # and nowhere else in what the client got does a password appear
    rest = "\n".join(s for s in statements if not re.search(pattern, s))
    assert not any(password in rest for password in passwords.values())


_PASSWORD_STATEMENT = {
    "MYSQL": r"^(?:CREATE|ALTER) USER (?:IF NOT EXISTS )?'(?P<user>[^']+)'@'%' IDENTIFIED WITH \S+ BY "
             r"'(?P<password>(?:[^'\\]|''|\\.)*)'(?: REQUIRE SSL)?(?: ACCOUNT UNLOCK)?;$",
    "MARIADB": r"^(?:CREATE|ALTER) USER (?:IF NOT EXISTS )?'(?P<user>[^']+)'@'%' IDENTIFIED VIA \S+ USING "
               r"PASSWORD\('(?P<password>(?:[^'\\]|''|\\.)*)'\)(?: ACCOUNT UNLOCK)?;$",
    "SQLSERVER": r"^\s*(?:CREATE|ALTER) LOGIN \[(?P<user>[^\]]+)\] WITH PASSWORD = N'(?P<password>(?:[^']|'')*)'",
}


def test_the_stubs_would_see_a_leak(tmp_path) -> None:
    """The property above can fail: a script that pasted passwords into the shell would be seen."""
    cfg = make_cfg({"users": [{"username": "app_user"}]})
    files = db_users_files(cfg)
    marker = tmp_path / "executed"
    broken = files[DB_USERS_SCRIPT_FILE].replace('sql=$(cat "$here/db-users.sql")',
                                                 'sql=$(cat "$here/db-users.sql"); eval "echo $(password '
                                                 f'{names.secret("app_user")} app_user)"')
    assert broken != files[DB_USERS_SCRIPT_FILE]
    out = tmp_path / "out"
    out.mkdir()
    (out / DB_USERS_SQL_FILE).write_text(files[DB_USERS_SQL_FILE])
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    secrets = tmp_path / "secrets.json"
    secrets.write_text(json.dumps({names.secret("app_user"): f"$(touch {marker})"}))
    log = tmp_path / "calls.log"
    _stub(bin_dir / "aws", FAKE_AWS, LOG=log, SECRETS=secrets)
    _stub(bin_dir / "mysql", FAKE_CLIENT, LOG=log, SQL=tmp_path / "sent.sql")
    (out / DB_USERS_SCRIPT_FILE).write_text(broken)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path), "DB_HOST": "db.example",
           "DB_ADMIN_USER": "admin", "RDS_CA_BUNDLE": str(tmp_path / "bundle.pem")}
    subprocess.run(["bash", str(out / DB_USERS_SCRIPT_FILE)], env=env, capture_output=True, timeout=60)
    assert marker.exists()
    assert os.environ.get("PATH")  # (the stubs never touched this process's environment)


@settings(max_examples=8, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate])
@given(data=st.data(), engine=st.sampled_from(sorted(SHAPES)))
def test_a_failing_client_puts_no_password_on_any_stream(tmp_path_factory, data, engine) -> None:
    """Whatever the client prints when it fails (here: the whole SQL it got, on stdout and in an
    error on stderr) reaches the terminal with each password, and each start of one of 8 or more
    characters, replaced by its placeholder; the script stops with the client's status."""
    tmp = tmp_path_factory.mktemp("failing")
    usernames = data.draw(st.lists(_USERNAME, min_size=1, max_size=3, unique=True), label="usernames")
    cfg = make_cfg(*SHAPES[engine], {"users": [{"username": u} for u in usernames]})
    passwords = {u: data.draw(_passwords(tmp / "executed", [o for o in usernames if o != u]), label=f"password of {u}")
                 for u in usernames}
    _, _, done = _run(tmp, cfg, {names.secret(u): p for u, p in passwords.items()}, engine, FAILING_CLIENT)
    assert done.returncode == 1, done.stderr.decode(errors="replace")
    said = (done.stdout + done.stderr).decode(errors="replace")
    assert "<password of " in said or engine == "POSTGRESQL", said  # what stood there is named
    assert "failed (exit 1)" in said and "in place" not in said
    # A drawn password may hold another user's placeholder, which the output holds rightly.
    said = re.sub(r"<password of [a-z0-9_]+>", "", said)
    for password in passwords.values():
        for form in {password, _literal(engine, password)}:
            assert not any(form[:end] in said for end in range(8, len(form) + 1)), (form, said)


def test_the_failing_client_test_would_see_a_leak(tmp_path) -> None:
    """The property above can fail: without the redaction, the client's echo shows the password."""
    cfg = make_cfg({"users": [{"username": "app_user"}]})
    files = db_users_files(cfg)
    script = files[DB_USERS_SCRIPT_FILE]
    unredacted = script.replace(shlex.quote(REDACT), shlex.quote("import sys; print(sys.stdin.read())"))
    assert unredacted != script
    password = "hunter2-hunter2-hunter2"
    cfg_files = {**files, DB_USERS_SCRIPT_FILE: unredacted}
    out = tmp_path / "out"
    out.mkdir()
    for name, text in cfg_files.items():
        (out / name).write_text(text)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    secrets = tmp_path / "secrets.json"
    secrets.write_text(json.dumps({names.secret("app_user"): password}))
    _stub(bin_dir / "aws", FAKE_AWS, LOG=tmp_path / "calls.log", SECRETS=secrets)
    _stub(bin_dir / "mysql", FAILING_CLIENT)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path), "DB_HOST": "db.example",
           "DB_ADMIN_USER": "admin", "RDS_CA_BUNDLE": str(tmp_path / "bundle.pem")}
    done = subprocess.run(["bash", str(out / DB_USERS_SCRIPT_FILE)], env=env, capture_output=True, timeout=60)
    assert password in (done.stdout + done.stderr).decode(errors="replace")
