"""``rds-proxy-cfn import ENV --from DIR``: adopt a proxy made by hand.

DIR holds the AWS CLI's JSON (``describe``); the import turns it into ``params/ENV.yaml``
(``to_params``, ``yaml_out``), checks that file with the real loader and every rule (a problem is
reported at the describe field it came from), builds the env's template and writes what
CloudFormation's resource import needs into DIR (``import_stack``): ``import-template.yaml``,
``resources-to-import.json`` and ``IMPORT.md`` (the steps, and what the update creates afresh).
Nothing is written unless all of it is valid; an existing params file is never replaced.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from ..facts.aws import ENV_NAME_PATTERN
from ..config import PARAMS_SUFFIX, ParamsError, ParamsErrors, load_environments
from ..config.errors import format_path
from ..render.escaping import comment_text
from ..render import jinja_env
from ..render.files import cfn_yaml, json_text, ordered_body
from ..builders.stack import build_template
from . import describe, import_stack, to_params, yaml_out

IMPORT_TEMPLATE_FILE = "import-template.yaml"
PREPARE_TEMPLATE_FILE = "prepare-template.yaml"
RESOURCES_FILE = "resources-to-import.json"
GUIDE_FILE = "IMPORT.md"
GUIDE_TEMPLATE = "import.md.j2"
TEMPLATE_HEADER = """\
# Written by `rds-proxy-cfn import {env}` from {source}: step 1 of {guide} (an IMPORT change set).
# The proxy's resources as they run, to adopt them unchanged; then update to generated/{env}/rds-proxy.yaml.
"""


PREPARE_HEADER = """\
# Written by `rds-proxy-cfn import {env}`: step 2 of {guide}. generated/{env}/rds-proxy.yaml with the proxy
# still on its own role and security groups, so that everything it moves to in step 3 exists first.
"""


def _at_source(error: ParamsError, adopted: to_params.Adopted, written: str, proxies_file: str) -> ParamsError:
    """A problem the loader found in the written params file, at the describe field of its value
    (or, for a value no field gave, on the proxies file with the params key: that file is not written)."""
    if error.file != written:
        return error
    for end in range(len(error.path), 0, -1):
        source = adopted.sources.get(tuple(error.path[:end]))
        if source is not None:
            # A list kept whole (subnets, filters) has its items where the describe output has them.
            rest = error.path[end:] if isinstance(source.value, list) else ()
            return ParamsError(source.file, 0, 0, (*source.path, *rest), error.message)
    return ParamsError(proxies_file, 0, 0, (), f"{format_path(error.path)}: {error.message}" if error.path
                       else error.message)


def adopt(env: str, from_dir: Path, from_shown: str, params_dir: Path, params_shown: str) -> dict[Path, str]:
    """The files to write, by path (raises ParamsErrors with every problem found)."""
    target = params_dir / f"{env}{PARAMS_SUFFIX}"
    written = f"{params_shown}/{env}{PARAMS_SUFFIX}"
    if not re.fullmatch(ENV_NAME_PATTERN, env):
        raise ParamsErrors([ParamsError(written, 0, 0, (), f"{env!r} is not a valid environment name "
                                                           "(lowercase letter first, then a-z, 0-9, -)")])
    if target.exists() or target.is_symlink():
        raise ParamsErrors([ParamsError(written, 0, 0, (), "exists already; import never replaces a params file "
                                                           "(remove it or import as another environment)")])
    if not from_dir.is_dir():
        raise ParamsErrors([ParamsError(from_shown, 0, 0, (), "is not a folder of describe output")])
    described, errors = describe.read(from_dir, from_shown)
    if described is None:
        raise ParamsErrors(errors)
    adopted = to_params.adopted_tree(env, described)
    if adopted.errors:
        raise ParamsErrors(adopted.errors)
    header = yaml_out.HEADER.format(env=env, source=comment_text(from_shown),
                                    proxy=comment_text(described.proxy["DBProxyName"].value))
    text = yaml_out.dump(adopted.tree, adopted.comments, header)
    with tempfile.TemporaryDirectory(prefix="rds-proxy-cfn-import-") as tmp:
        if params_dir.is_dir():  # the other envs take part in the cross-environment rules
            for entry in params_dir.iterdir():
                if entry.name.endswith(PARAMS_SUFFIX) and entry.is_file() and not entry.is_symlink():
                    shutil.copyfile(entry, Path(tmp) / entry.name)
        (Path(tmp) / target.name).write_text(text, encoding="utf-8")
        try:
            cfg = load_environments(Path(tmp), params_shown, [env])[0]
        except ParamsErrors as exc:
            proxies_file = f"{from_shown}/{describe.PROXIES_FILE}"
            raise ParamsErrors([_at_source(e, adopted, written, proxies_file) for e in exc.errors]) from None
    body = build_template(cfg).to_dict()
    plan = import_stack.plan(cfg, body, described)
    template_header = TEMPLATE_HEADER.format(env=env, source=comment_text(from_shown), guide=GUIDE_FILE)
    guide = jinja_env.environment().get_template(GUIDE_TEMPLATE).render(
        cfg=cfg, plan=plan, source=from_shown, params_file=written, files={
            "template": IMPORT_TEMPLATE_FILE, "resources": RESOURCES_FILE, "prepare": PREPARE_TEMPLATE_FILE},
        guessed=[u.username for i, u in enumerate(cfg.users) if ("users", i, "username") in adopted.comments])
    files = {
        target: text,
        from_dir / IMPORT_TEMPLATE_FILE: template_header + cfn_yaml(ordered_body(plan.template)),
        from_dir / PREPARE_TEMPLATE_FILE: PREPARE_HEADER.format(env=env, guide=GUIDE_FILE)
        + cfn_yaml(ordered_body(plan.prepare)),
        from_dir / RESOURCES_FILE: json_text(plan.resources),
        from_dir / GUIDE_FILE: guide,
    }
    # Written with open(): a symlink planted under one of these names would take the text elsewhere.
    linked = [ParamsError(f"{from_shown}/{p.name}", 0, 0, (), "is a symbolic link; remove it (the import writes this file)")
              for p in files if p != target and p.is_symlink()]
    if linked:
        raise ParamsErrors(linked)
    return files


def write(files: dict[Path, str], params_file: Path) -> None:
    """Write the import's files; the params file is created exclusively (never replaced)."""
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "x" if path == params_file else "w", encoding="utf-8") as handle:
            handle.write(text)
