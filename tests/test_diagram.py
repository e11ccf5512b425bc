"""Every DEPLOY.md diagram parses with Mermaid's own parser, and labels carry params data safely.

The parser is Mermaid itself (npm ``mermaid``, headless with ``jsdom``), fetched pinned into
.cache/mermaid by scripts/mermaid-parser.sh (scripts/test runs it) and driven by
tests/mermaid_parse.mjs. ``@mermaid-js/parser`` alone was not enough: it has no flowchart grammar.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from templates_src.render import diagram

from builders.envs import CLUSTER, END_TO_END_IAM, OWN_KEY, POSTGRES, SQLSERVER, make_cfg
from conftest import GENERATED, ROOT, example_configs, example_files, require_tool

MODULES = Path(os.environ.get("RDS_PROXY_CFN_MERMAID", ROOT / ".cache" / "mermaid" / "node_modules"))
PARSER = Path(__file__).parent / "mermaid_parse.mjs"
FENCE = re.compile(r"```mermaid\n(.*?)```", re.S)
HOSTILE = ['say "hi"', "a]b[c", "<script>alert(1)</script>", "x|y", "#quot;", "semi;colon", "new\nline",
           "`tick`", "{curly}", "(paren)", "a --> b", "%% comment", "é ü 中", "&amp;"]


def parse(texts: list[str]) -> list[str | None]:
    """Mermaid's verdict on each text: None when it parses as a flowchart, else the error."""
    node = shutil.which("node")
    require_tool(node, "node", "Mermaid's parser runs on Node.js: apt-get install nodejs")
    require_tool((MODULES / "mermaid").is_dir(), f"Mermaid's parser in {MODULES}",
                 "bash scripts/mermaid-parser.sh, which scripts/test runs, or RDS_PROXY_CFN_MERMAID")
    done = subprocess.run([node, str(PARSER)], input=json.dumps(texts), capture_output=True, text=True,
                          env={**os.environ, "MERMAID_MODULES": str(MODULES)}, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _variants():
    topic = {"monitoring": {"alarm_topic_arn": "arn:aws:sns:eu-west-1:111122223333:ops"}}
    waived = {"monitoring": {"alarms": False}, "waivers": {"alarms": "scratch stack, nobody is paged for it"}}
    return [make_cfg(*o) for o in (
        (), (CLUSTER, {"target": {"read_only_endpoint": True}}), (POSTGRES, END_TO_END_IAM), (SQLSERVER, OWN_KEY),
        (topic,), (waived,),
        ({"network": {"allowed_cidrs": ["10.0.0.0/16", "2001:db8::/32"], "endpoint_network_type": "DUAL"}},),
    )]


@pytest.mark.unit
def test_every_deploy_guide_has_the_diagram_of_its_config():
    files = example_files()
    for env, cfg in example_configs().items():
        assert FENCE.findall(files[f"{env}/DEPLOY.md"]) == [diagram.mermaid(cfg)], env


@pytest.mark.golden
def test_every_diagram_parses():
    """The examples' and other shapes', and those committed in generated/ (whatever params/ holds)."""
    texts = [diagram.mermaid(cfg) for cfg in (*example_configs().values(), *_variants())]
    committed = sorted(GENERATED.glob("*/DEPLOY.md"))
    assert committed
    texts += [text for path in committed for text in FENCE.findall(path.read_text(encoding="utf-8"))]
    assert len(texts) == len(example_configs()) + len(_variants()) + len(committed)
    assert parse(texts) == [None] * len(texts)


@pytest.mark.scanners
def test_the_parser_refuses_what_escaping_prevents():
    """So that the tests here could fail: the same labels quoted without escaping break the chart."""
    texts = ['say "hi" now', 'a"] b["c']
    naive = [f'flowchart LR\n  n0["{t}"] --> n1["x"]\n' for t in texts]
    escaped = [f"flowchart LR\n  n0[{diagram.label(t)}] --> n1[\"x\"]\n" for t in texts]
    verdicts = parse(naive + escaped)
    assert all(v and "Parse error" in v for v in verdicts[:len(texts)])
    assert verdicts[len(texts):] == [None] * len(texts)


@pytest.mark.scanners
def test_hostile_labels_stay_labels():
    chart = "flowchart LR\n" + "".join(f"  n{i}[{diagram.label(t)}] --> n{i + 1}[{diagram.label(t)}]\n"
                                       for i, t in enumerate(HOSTILE))
    assert parse([chart]) == [None]
    for text in HOSTILE:
        inner = diagram.label(text)[1:-1]
        assert not re.search(r'["<>|\[\]{}()`;\n%]', re.sub(r"#\d+;", "", inner)), text
        # Every entity code decodes back to the text: nothing is lost.
        assert re.sub(r"#(\d+);", lambda m: chr(int(m.group(1))), inner) == text


@pytest.mark.unit
def test_the_diagram_shows_what_the_config_builds():
    cluster = diagram.mermaid(make_cfg(CLUSTER, {"target": {"read_only_endpoint": True}}))
    assert "orders-test-ro" in cluster and "Aurora cluster orders-test-aurora" in cluster
    iam = diagram.mermaid(make_cfg(POSTGRES, END_TO_END_IAM))
    assert "secrets:" not in iam and "IAM auth as each user" in iam
    waived = diagram.mermaid(make_cfg({"monitoring": {"alarms": False},
                                       "waivers": {"alarms": "scratch stack, nobody is paged for it"}}))
    assert "alarms:" not in waived and "SNS topic" not in waived and "dashboard" in waived
