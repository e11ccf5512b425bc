"""Where a build's files are, as the generated guides and headers name them.

DEPLOY.md, deploy.sh, create-db-users.sh, stack-set.md and the headers tell the reader which
command rebuilds a file and which paths to pass the AWS CLI. They name the out folder and the
params folder exactly as the build was given them (``--out``, ``--params``), relative to where it
ran, so a build into ``--out build/cfn`` says ``file://build/cfn/dev/rds-proxy.yaml``. In a shell
command a path is one quoted word; in a Markdown code span it is literal, which is why a folder
whose name has a backtick or a control character is refused (``problem``).
"""

from __future__ import annotations

import posixpath
import re
import shlex
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: jinja_env imports this module without the config package
    from ..config.schema.model import EnvConfig

DEFAULT_OUT = "generated"
DEFAULT_PARAMS = "params"
# The folder of the out folder the build writes for itself (the Service Catalog product's files);
# an environment of that name would be built into it, beside them.
CATALOG_DIR = "service-catalog"
RESERVED_OUT_NAMES = (CATALOG_DIR,)
# The file that marks a folder as an out folder (a build replaces only such a folder; an update is
# judged against a deployed build only where it is).
MARKER_FILE = ".rds-proxy-cfn"


def reserved_out_name(env: str) -> str:
    """Why ``env`` cannot name an environment ("" when it can)."""
    if env in RESERVED_OUT_NAMES:
        return (f"{env!r} is a folder the build writes for itself in the out folder (the Service Catalog "
                "product's); name the environment otherwise")
    return ""
_UNSAFE = re.compile(r"[`\x00-\x1f\x7f]")


def shown(folder: str) -> str:
    """A folder as given on the command line, normalised (``./generated/`` -> ``generated``)."""
    return posixpath.normpath(folder) if folder else folder


def problem(option: str, folder: str) -> str | None:
    """Why a folder cannot be named in the generated commands (None: it can)."""
    if _UNSAFE.search(folder):
        return (f"{option} {folder!r} has a backtick or a control character, which the generated guides cannot "
                "quote in Markdown; use another folder name")
    return None


def out_path(cfg: EnvConfig, name: str) -> str:
    """A file of this env's out folder, as a path from where the build ran."""
    return f"{cfg.out_dir}/{cfg.env}/{name}"


def shared_path(cfg: EnvConfig, name: str) -> str:
    """A file of the out folder that belongs to no env (the Service Catalog product)."""
    return f"{cfg.out_dir}/{name}"


def build_command(cfg: EnvConfig) -> str:
    """The command that rebuilds this env's files, with the folders this build was given."""
    params = posixpath.dirname(cfg.source)
    words = ["rds-proxy-cfn"]  # the console command pip installs (python build.py is the same program)
    if params != DEFAULT_PARAMS:
        words += ["--params", shlex.quote(params)]
    if cfg.out_dir != DEFAULT_OUT:
        words += ["--out", shlex.quote(cfg.out_dir)]
    return " ".join([*words, cfg.env])
