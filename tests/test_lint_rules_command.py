"""The docs' command that runs the project's policies with cfn-lint alone works as written."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, example_files

pytestmark = pytest.mark.cli

COMMAND = re.compile(r"`(cfn-lint [^`]*--append-rules [^`]*)`")


@pytest.mark.parametrize("page", ["docs/security.md", "policies/README.md"])
def test_the_documented_command_runs_the_policies(page: str, tmp_path: Path) -> None:
    commands = COMMAND.findall((ROOT / page).read_text(encoding="utf-8"))
    assert commands, f"{page} shows no cfn-lint command with --append-rules"
    template = example_files()["dev/rds-proxy.yaml"]
    assert "RequireTLS: true" in template
    for name, text, found in (("good.yaml", template, False),
                              ("bad.yaml", template.replace("RequireTLS: true", "RequireTLS: false"), True)):
        (tmp_path / name).write_text(text, encoding="utf-8")
        for command in commands:
            argv = [a if a != "generated/dev/rds-proxy.yaml" else str(tmp_path / name) for a in shlex.split(command)]
            # cfn-lint beside this Python; the package importable as from the checkout (as installed).
            proc = subprocess.run([str(Path(sys.executable).with_name("cfn-lint")), *argv[1:]], cwd=ROOT,
                                  capture_output=True, text=True, timeout=300,
                                  env={**os.environ, "PYTHONPATH": str(ROOT)})
            assert ("E9101" in proc.stdout) is found, (command, proc.stdout, proc.stderr)
            assert proc.returncode == (2 if found else 0), (command, proc.stdout, proc.stderr)
