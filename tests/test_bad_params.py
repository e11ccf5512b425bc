"""Bad params, as a table: each case must fail with exit 2, exactly its expected lines, no
traceback, and an existing out folder left untouched.

``fixtures/params/bad/<case>/`` is a complete params folder (``_base/dev.yaml`` plus one defect,
or several environments for the rules across them) and ``expected.txt``, the exact lines the
build prints on stderr before its "N problem(s) in params; nothing was written" summary. Every
case runs from a temporary folder as ``build.py --params params --out out``, so paths in the
expected lines read ``params/<file>``. Cases that are no good as committed files (megabytes,
bytes that are not UTF-8, control characters) are written from code in ``GENERATED``.

``test_edge_values_accepted`` is the other half of every range, pattern and rule: the values
just inside the edges build.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import Result, run_build, run_main, snapshot
from templates_src.facts import aws as facts

pytestmark = pytest.mark.cli

BAD = Path(__file__).parent / "fixtures" / "params" / "bad"
BASE_DIR = BAD / "_base"
BASE = (BASE_DIR / "dev.yaml").read_text()
EXPECTED = "expected.txt"
CASES = sorted(p.name for p in BAD.iterdir() if p.is_dir() and not p.name.startswith("_"))
# A few cases run through the real entry point too (a subprocess), to prove it behaves the same.
SUBPROCESS_CASES = ["alias-bomb", "defaults-invalid-yaml", "many-problems-many-files", "tag-python-object-apply"]
ARGS = ("--params", "params", "--out", "out", "--no-lint")


def sub(old: str, new: str, text: str = BASE) -> str:
    """``text`` with its one ``old`` replaced (fails loudly when ``old`` is not there exactly once)."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def after(anchor: str, lines: str, text: str = BASE) -> str:
    """``text`` with ``lines`` inserted after the line holding ``anchor``."""
    assert text.count(anchor) == 1, anchor
    end = text.index("\n", text.index(anchor)) + 1
    return text[:end] + lines + text[end:]


CLUSTER = sub("db_instance_identifier: orders-dev-db", "db_cluster_identifier: orders-dev-aurora")
DB_GROUP = "  database_security_group_id: sg-0a1b2c3d4e5f60744\n"
SQLSERVER = sub("engine_family: MYSQL", "engine_family: SQLSERVER")


def proxy(lines: str, text: str = BASE) -> str:
    return after("  name: orders-dev", lines, text)


def pool(lines: str) -> str:
    return BASE + "pool:\n" + lines


def problems(expected: list[str]) -> list[str]:
    return [*expected, f"{len(expected)} problem(s) in params; nothing was written"]


# --- running a case ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def built_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An out folder holding a good build of ``_base``, to prove bad params leave it alone."""
    root = tmp_path_factory.mktemp("good")
    shutil.copytree(BASE_DIR, root / "params")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        result = run_main(*ARGS)
    assert result.code == 0, result.err
    assert snapshot(root / "out"), "the good build wrote nothing"
    return root / "out"


@pytest.fixture
def workdir(tmp_path: Path, built_out: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder with ``out/`` (a good build) as the current directory; checks it is untouched after."""
    shutil.copytree(built_out, tmp_path / "out")
    before = snapshot(tmp_path / "out")
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    assert snapshot(tmp_path / "out") == before, "the out folder was changed"
    # Nothing written beside it either: no temporary folder, no lock, nothing a tag could create.
    assert sorted(os.listdir(tmp_path)) == ["out", "params"]


def write_params(root: Path, files: dict[str, str | bytes]) -> None:
    (root / "params").mkdir(parents=True)
    for name, content in files.items():
        data = content.encode() if isinstance(content, str) else content
        (root / "params" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "params" / name).write_bytes(data)


def copy_case(root: Path, case: str) -> list[str]:
    """Copy a fixture's params folder into ``root/params``; return its expected lines."""
    shutil.copytree(BAD / case, root / "params", ignore=shutil.ignore_patterns(EXPECTED))
    return (BAD / case / EXPECTED).read_text().splitlines()


def assert_refused(result: Result, expected: list[str]) -> None:
    assert "Traceback" not in result.err, result.err
    assert result.out == ""
    assert result.err.splitlines() == problems(expected)
    assert result.code == 2


# --- the table -----------------------------------------------------------------------------------

def test_the_table_is_complete() -> None:
    assert len(CASES) >= 70
    for case in CASES:
        expected = (BAD / case / EXPECTED).read_text()
        assert expected.endswith("\n") and expected.strip(), f"{case}: expected.txt is empty or unterminated"
        # Reported sorted by file and line, like a compiler does.
        where = [re.match(r"(params/[^:]+)(?::(\d+))?", line).groups() for line in expected.splitlines()]
        keys = [(file, int(line or 0)) for file, line in where]
        assert keys == sorted(keys), f"{case}: expected lines are not sorted by file and line"


@pytest.mark.parametrize("case", CASES)
def test_bad_fixture(case: str, workdir: Path) -> None:
    expected = copy_case(workdir, case)
    assert_refused(run_main(*ARGS), expected)


@pytest.mark.parametrize("case", SUBPROCESS_CASES)
def test_bad_fixture_through_build_py(case: str, workdir: Path) -> None:
    expected = copy_case(workdir, case)
    # A trailing slash on --params is not shown twice.
    assert_refused(run_build("--params", "params/", "--out", "out", "--no-lint", cwd=workdir), expected)


def test_paths_are_shown_as_typed(workdir: Path) -> None:
    expected = copy_case(workdir, "many-problems-many-files")
    result = run_main("--params", "./params", "--out", "out", "--no-lint")
    assert_refused(result, [line.replace("params/", "./params/", 1) for line in expected])


# --- cases written from code ---------------------------------------------------------------------

GENERATED: dict[str, tuple[dict[str, str | bytes], list[str]]] = {
    # Read up to the limit and no further: a 10 MB file costs no more than a 1 MB one.
    "file-over-1-mb": (
        {"dev.yaml": BASE + "# " + "x" * 1_000_000 + "\n"},
        ["params/dev.yaml: refused: the file is larger than 1000000 bytes"],
    ),
    "file-10-mb": (
        {"dev.yaml": BASE + ("# " + "x" * 1022 + "\n") * 10_240},
        ["params/dev.yaml: refused: the file is larger than 1000000 bytes"],
    ),
    "not-utf8-latin-1": (
        {"dev.yaml": (BASE + "    description: Café team\n").encode("latin-1")},
        ["params/dev.yaml:15:21: the file is not UTF-8 text (save it as UTF-8)"],
    ),
    "not-utf8-utf-16": (
        {"dev.yaml": BASE.encode("utf-16")},
        ["params/dev.yaml:1:1: the file is not UTF-8 text (save it as UTF-8)"],
    ),
    "not-utf8-in-defaults": (
        {"_defaults.yaml": "tags:\n  team: \xe9quipe\n".encode("latin-1"), "dev.yaml": BASE},
        ["params/_defaults.yaml:2:9: the file is not UTF-8 text (save it as UTF-8)"],
    ),
    "nul-character": (
        {"dev.yaml": sub("name: orders-dev", "name: orders\x00dev")},
        ["params/dev.yaml:3:15: invalid YAML: the character #x0000 is not allowed in YAML (remove it)"],
    ),
    "escape-character": (
        {"dev.yaml": BASE + "tags:\n  team: \x1b[31mpayments\n"},
        ["params/dev.yaml:16:9: invalid YAML: the character #x001b is not allowed in YAML (remove it)"],
    ),
    "number-with-5001-digits": (
        {"dev.yaml": proxy("  idle_client_timeout: 1" + "0" * 5000 + "\n")},
        ["params/dev.yaml:4:24: proxy.idle_client_timeout: a number with 5001 digits is far too large"],
    ),
    "nested-100000-levels": (
        {"dev.yaml": BASE + "deep: " + "[" * 100_000 + "]" * 100_000 + "\n"},
        ["params/dev.yaml: refused: the file is nested deeper than 32 levels"],
    ),
    "alias-bomb-of-mappings": (
        {"dev.yaml": BASE + "a: &a {k0: x, k1: x, k2: x, k3: x, k4: x, k5: x, k6: x, k7: x, k8: x, k9: x}\n"
         + "".join(f"{n}: &{n} [{', '.join(['*' + p] * 10)}]\n" for p, n in zip("abcdefgh", "bcdefghi"))},
        ["params/dev.yaml:15:19: refused: the file expands to more than 20000 values (an alias bomb?)"],
    ),
}


@pytest.mark.parametrize("case", sorted(GENERATED))
def test_bad_generated(case: str, workdir: Path) -> None:
    files, expected = GENERATED[case]
    write_params(workdir, files)
    assert_refused(run_main(*ARGS), expected)


def test_huge_file_through_build_py(workdir: Path) -> None:
    files, expected = GENERATED["file-10-mb"]
    write_params(workdir, files)
    assert_refused(run_build(*ARGS, cwd=workdir), expected)


@pytest.mark.parametrize("tagged", [
    "!!python/object/apply:os.system ['touch {marker}']",
    "!!python/object/apply:subprocess.call [[touch, {marker}]]",
    "!!python/object/new:pathlib.Path ['{marker}']",
    "!!python/object/apply:builtins.exec [\"open('{marker}', 'w')\"]",
])
def test_python_tags_are_never_executed(tagged: str, workdir: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    marker = tmp_path_factory.mktemp("elsewhere") / "executed"
    value = tagged.format(marker=marker)
    write_params(workdir, {"dev.yaml": BASE + f"stack_name: {value}\n"})
    tag = value.split()[0].replace("!!", "tag:yaml.org,2002:")
    kind = "plain lists only" if value.endswith("]") else "plain values only"
    assert_refused(run_main(*ARGS), [f"params/dev.yaml:15:13: stack_name: the tag {tag} is not allowed ({kind})"])
    assert not marker.exists(), "a tag was executed"


# --- the other side of every edge: accepted -------------------------------------------------------

SECRET_ARN = "arn:aws:secretsmanager:us-east-1:111122223333:secret:orders/app_user-AbCdEf"
KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d"
def waive(text: str, *names: str) -> str:
    """``text`` (BASE or a variant) with a reason in its waivers section for each weakened
    default named."""
    return after("waivers:", "".join(f"  {name}: legacy client, tracked in TICKET-42\n" for name in names), text)


NO_ROTATION_WAIVER = '  rotation: "passwords rotated by the platform team (TICKET-5)"\n'


USERS_MAX = sub("  - username: app_user\n", "".join(f"  - username: user_{i:03d}\n" for i in range(facts.MAX_USERS)))
STAGING = sub("orders-dev\n", "orders-stg\n")

EDGES: dict[str, dict[str, str | bytes]] = {
    "idle-client-timeout-1": {"dev.yaml": proxy("  idle_client_timeout: 1\n")},
    "idle-client-timeout-28800": {"dev.yaml": proxy("  idle_client_timeout: 28800\n")},
    "serverless-max-acu-1": {"dev.yaml": after("db_cluster_identifier", "  instance_class: db.serverless\n"
                                                "  serverless_max_acu: 1\n", CLUSTER)},
    "serverless-max-acu-256": {"dev.yaml": after("db_cluster_identifier", "  instance_class: db.serverless\n"
                                                  "  serverless_max_acu: 256\n", CLUSTER)},
    "serverless-max-acu-half-step": {"dev.yaml": after("db_cluster_identifier", "  instance_class: db.serverless\n"
                                                        "  serverless_max_acu: 40.5\n", CLUSTER)},
    "serverless-max-connections-instead": {"dev.yaml": after("db_cluster_identifier", "  instance_class: db.serverless\n"
                                                              "  max_connections: 2000\n", CLUSTER)},
    "max-connections-1": {"dev.yaml": pool("  max_connections_percent: 1\n")},
    "max-connections-100": {"dev.yaml": pool("  max_connections_percent: 100\n")},
    "max-idle-0": {"dev.yaml": pool("  max_idle_connections_percent: 0\n")},
    "max-idle-equal-to-max": {"dev.yaml": pool("  max_connections_percent: 40\n  max_idle_connections_percent: 40\n")},
    "borrow-timeout-0": {"dev.yaml": pool("  connection_borrow_timeout: 0\n")},
    "borrow-timeout-300": {"dev.yaml": pool("  connection_borrow_timeout: 300\n")},
    "password-length-16": {"dev.yaml": BASE + "secrets:\n  password_length: 16\n"},
    "password-length-128": {"dev.yaml": BASE + "secrets:\n  password_length: 128\n"},
    "port-1150": {"dev.yaml": after("db_instance_identifier", "  port: 1150\n")},
    "port-65535": {"dev.yaml": after("db_instance_identifier", "  port: 65535\n")},
    "log-retention-1": {"dev.yaml": after("waivers:", "  log_retention: scratch proxy, logs never read\n",
                                          proxy("  log_retention_days: 1\n"))},
    "log-retention-3653": {"dev.yaml": proxy("  log_retention_days: 3653\n")},
    "proxy-name-1-char": {"dev.yaml": sub("name: orders-dev", "name: o")},
    "proxy-name-63-chars": {"dev.yaml": sub("name: orders-dev", "name: orders-" + "x" * 56)},
    "proxy-name-60-chars-with-read-only-endpoint": {"dev.yaml": after(
        "db_cluster_identifier", "  read_only_endpoint: true\n",
        sub("name: orders-dev", "name: orders-" + "x" * 53, CLUSTER))},
    "db-identifier-63-chars": {"dev.yaml": sub("orders-dev-db", "orders-" + "d" * 56)},
    "username-1-char": {"dev.yaml": sub("username: app_user", "username: a")},
    "username-63-chars": {"dev.yaml": sub("username: app_user", "username: app_" + "u" * 59)},
    "users-max": {"dev.yaml": USERS_MAX},
    "short-resource-ids": {"dev.yaml": sub("vpc-0a1b2c3d4e5f60718", "vpc-0a1b2c3d", sub(
        "[subnet-0a1b2c3d4e5f60711, subnet-0a1b2c3d4e5f60722]", "[subnet-0a1b2c3d, subnet-0a1b2c3e]"))},
    "stack-name-128-chars": {"dev.yaml": BASE + "stack_name: orders-" + "p" * 121 + "\n"},
    "iam-role-path-root": {"dev.yaml": BASE + "iam:\n  role_path: /\n"},
    "iam-role-path-512-chars": {"dev.yaml": BASE + "iam:\n  role_path: /" + "p" * 510 + "/\n"},
    "iam-aws-managed-boundary-and-role-name-64-chars": {"dev.yaml": BASE + (
        "iam:\n  permissions_boundary_arn: arn:aws:iam::aws:policy/PowerUserAccess\n"
        "  key_admin_arns: [arn:aws:iam::111122223333:role/" + "k" * 64 + "]\n")},
    "iam-gov-cloud-partition": {"dev.yaml": BASE + (
        "region: us-gov-west-1\niam:\n  proxy_role_arn: arn:aws-us-gov:iam::111122223333:role/orders-proxy\n"
        "  secret_reader_arns: [arn:aws-us-gov:iam::111122223333:user/ops]\n")},
    "iam-auth-enabled-on-sqlserver": {"dev.yaml": waive(proxy("  iam_auth: ENABLED\n", SQLSERVER), "iam_auth")
                                      + "    client_password_auth_type: SQL_SERVER_AUTHENTICATION\n"},
    "require-tls-false-without-iam-users": {"dev.yaml": waive(proxy("  require_tls: false\n  iam_auth: DISABLED\n"),
                                                              "iam_auth", "require_tls")},
    "require-tls-false-with-iam-enabled-on-sqlserver": {"dev.yaml": waive(proxy(
        "  require_tls: false\n  iam_auth: ENABLED\n", SQLSERVER), "iam_auth", "require_tls")},
    "waivers-with-reasons": {"dev.yaml": waive(BASE, "iam_auth", "retain_on_delete")
                             + "    iam_auth: DISABLED\nsecrets:\n  retain_on_delete: false\n"},
    "clients-by-cidr-only": {"dev.yaml": sub("  client_security_group_ids: [sg-0a1b2c3d4e5f60733]\n",
                                             "  endpoint_network_type: DUAL\n"
                                             "  allowed_cidrs: [10.20.30.40/32, \"2001:db8::1/128\", 0.0.0.0/1]\n")},
    "database-cidr-widest-ipv4": {"dev.yaml": sub(DB_GROUP, "  database_cidr: 0.0.0.0/1\n")},
    "database-cidr-host-ipv6": {"dev.yaml": sub(DB_GROUP, "  target_connection_network_type: IPV6\n"
                                                          "  database_cidr: \"2001:db8::1/128\"\n")},
    "database-anywhere-waived": {"dev.yaml": waive(sub(DB_GROUP, ""), "world_egress")},
    "rotation-with-egress-waived": {"dev.yaml": waive(sub(NO_ROTATION_WAIVER, ""), "world_egress")
                                    + "secrets:\n  rotation_days: 30\n"},
    "session-pinning-on-mysql": {"dev.yaml": pool("  session_pinning_filters: [EXCLUDE_VARIABLE_SETS]\n")},
    "auth-type-postgres-md5": {"dev.yaml": sub("engine_family: MYSQL", "engine_family: POSTGRESQL")
                               + "    client_password_auth_type: POSTGRES_MD5\n"},
    "key-and-secret-in-region": {"dev.yaml": sub("waivers:\n" + NO_ROTATION_WAIVER, "") + f"    secret_arn: {SECRET_ARN}\n"
                                             f"secrets:\n  kms_key_arn: {KEY_ARN}\n"},
    "tag-key-128-value-128": {"dev.yaml": BASE + "tags:\n  " + "k" * 128 + ": " + "v" * 128 + "\n"},
    "tag-environment-lowercase": {"dev.yaml": BASE + "tags:\n  environment: shared\n"},
    "description-1000-chars": {"dev.yaml": BASE + "    description: " + "d" * 1000 + "\n"},
    "yaml-aliases-and-standard-tags": {"dev.yaml": sub(
        "  subnet_ids: [subnet-0a1b2c3d4e5f60711, subnet-0a1b2c3d4e5f60722]",
        "  subnet_ids: &subnets [subnet-0a1b2c3d4e5f60711, subnet-0a1b2c3d4e5f60722]",
        sub("name: orders-dev", "name: !!str orders-dev")) + "pool:\n  max_connections_percent: !!int 50\n"},
    "yaml-capitalised-true": {"dev.yaml": proxy("  require_tls: True\n  debug_logging: FALSE\n")},
    "utf8-byte-order-mark": {"dev.yaml": b"\xef\xbb\xbf" + BASE.encode()},
    "crlf-line-endings": {"dev.yaml": BASE.replace("\n", "\r\n").encode()},
    "utf8-text": {"dev.yaml": BASE + "    description: Équipe paiements — 支払い\n"},
    "defaults-give-required-keys": {
        "_defaults.yaml": "engine_family: MYSQL\nusers:\n  - username: app_user\n",
        "dev.yaml": sub("users:\n  - username: app_user\n", "", sub("engine_family: MYSQL\n", "")),
    },
    "same-proxy-name-other-region": {"dev.yaml": BASE, "staging.yaml": sub("orders-dev-db", "orders-stg-db")
                                     + "region: eu-west-1\n"},
    "shared-database-exactly-100": {"dev.yaml": pool("  max_connections_percent: 60\n"),
                                    "staging.yaml": STAGING + "pool:\n  max_connections_percent: 40\n"},
    "instance-and-cluster-of-one-name": {"dev.yaml": BASE, "staging.yaml": sub(
        "db_instance_identifier: orders-dev-db", "db_cluster_identifier: orders-dev-db", STAGING)},
    "files-that-are-not-environments": {"dev.yaml": BASE, "README.md": "# params\n", ".hidden.yaml": "- not checked\n",
                                        "_archive/old.yaml": "not: [checked\n"},
}


@pytest.mark.parametrize("case", sorted(EDGES))
def test_edge_values_accepted(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_params(tmp_path, EDGES[case])
    monkeypatch.chdir(tmp_path)
    result = run_main(*ARGS)
    # Valid params: nothing on stderr but the warning that a template is too big to upload.
    assert result.code == 0, result.err
    assert [line for line in result.err.splitlines() if "over the 51,200-byte console upload limit" not in line] == []
    assert ("upload limit" in result.err) == (case == "users-max")
    envs = sorted(name[: -len(".yaml")] for name in EDGES[case] if re.fullmatch(r"[a-z][a-z0-9-]*\.yaml", name))
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if p.is_dir()) == sorted([*envs, "service-catalog"])


def test_byte_order_mark_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A BOM (Windows editors add one) builds exactly what the same file without it builds."""
    outputs = []
    for name, data in (("plain", BASE.encode()), ("bom", b"\xef\xbb\xbf" + BASE.encode())):
        write_params(tmp_path / name, {"dev.yaml": data})
        monkeypatch.chdir(tmp_path / name)  # the same --params text: it is named in the output's header
        assert run_main(*ARGS).code == 0
        outputs.append(snapshot(tmp_path / name / "out"))
    assert outputs[0] == outputs[1]
