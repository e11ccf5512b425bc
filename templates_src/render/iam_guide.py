"""What DEPLOY.md says about the iam: options: the policies an existing proxy role needs (the
stack's own statements, resolved to literal text a reviewer can paste), and who must deploy."""

from __future__ import annotations

import json
from typing import Any

from awacs.aws import PolicyDocument
from troposphere import encode_to_dict

from ..facts import aws as facts
from ..builders import names
from ..builders.iam import proxy_role_statements, proxy_trust_policy
from ..facts.partitions import region_partition
from ..config.schema.model import EnvConfig

# CloudFormation tags every resource it creates that supports tags with aws:cloudformation:stack-name
# ("Resource tag", CloudFormation User Guide), and GetSecretValue takes secretsmanager:ResourceTag/
# conditions (Service Authorization Reference, AWS Secrets Manager): a policy written before the
# stack exists can name its secrets, whose ARNs end in a random suffix, by that tag.
_STACK_TAG_KEY = "secretsmanager:ResourceTag/aws:cloudformation:stack-name"
# The key's ARN is not known before the stack makes it; its alias is (kms:ResourceAliases,
# "Use aliases to control access to KMS keys", KMS Developer Guide).
_ALIASES_KEY = "kms:ResourceAliases"


def _resolver(cfg: EnvConfig, account: str) -> dict[str, str]:
    return {"${AWS::Region}": cfg.region, "${AWS::Partition}": region_partition(cfg.region),
            "${AWS::AccountId}": account}


def _literal(value: Any, pseudo: dict[str, str]) -> Any:
    if isinstance(value, dict) and set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
        text = value["Fn::Sub"]
        for name, replacement in pseudo.items():
            text = text.replace(name, replacement)
        return text
    if isinstance(value, dict):
        return {k: _literal(v, pseudo) for k, v in value.items()}
    if isinstance(value, list):
        return [_literal(v, pseudo) for v in value]
    return value


def _split(statement: dict[str, Any], cfg: EnvConfig, pseudo: dict[str, str]) -> list[dict[str, Any]]:
    """A statement whose resources the stack makes (Ref of a secret, GetAtt of the key) becomes one
    on every such resource of the account, narrowed by a condition that only the stack's match."""
    literal = [r for r in statement["Resource"] if isinstance(r, str)]
    made = [r for r in statement["Resource"] if not isinstance(r, str)]
    out = [{**statement, "Resource": literal}] if literal else []
    if not made:
        return out
    arn = "arn:%s:%s:%s:%s:" % (pseudo["${AWS::Partition}"], "%s", cfg.region, pseudo["${AWS::AccountId}"])
    condition = dict(statement.get("Condition", {}))
    if all("Ref" in r for r in made):
        resource = arn % "secretsmanager" + "secret:*"
        condition["StringEquals"] = {**condition.get("StringEquals", {}), _STACK_TAG_KEY: cfg.stack_name}
    else:
        resource = arn % "kms" + "key/*"
        alias = facts.KMS_ALIAS_FORMAT.format(proxy_name=cfg.proxy.name)
        condition["ForAnyValue:StringEquals"] = {_ALIASES_KEY: alias}
    out.append({**statement, "Sid": statement["Sid"] + "MadeByTheStack", "Resource": [resource],
                "Condition": condition})
    return out


def existing_role_policies(cfg: EnvConfig) -> tuple[str, str]:
    """(trust policy, permissions policy) an existing proxy role needs, as JSON text."""
    account = (cfg.iam.proxy_role_arn or "").split(":")[4]
    pseudo = _resolver(cfg, account)
    statements, _ = proxy_role_statements(cfg)
    document = _literal(encode_to_dict(PolicyDocument(Version="2012-10-17", Statement=statements)), pseudo)
    document["Statement"] = [part for s in document["Statement"] for part in _split(s, cfg, pseudo)]
    trust = _literal(encode_to_dict(proxy_trust_policy(cfg)), pseudo)
    trust = json.loads(json.dumps(trust).replace('{"Ref": "AWS::AccountId"}', json.dumps(account)))
    return json.dumps(trust, indent=2), json.dumps(document, indent=2)


def guide(cfg: EnvConfig) -> dict[str, Any]:
    """The iam: part of DEPLOY.md's context."""
    trust, permissions = existing_role_policies(cfg) if cfg.iam.proxy_role_arn else ("", "")
    return {"iam": cfg.iam, "trust_policy": trust, "role_policy": permissions,
            "secret_policies": [names.secret_policy(u.username) for u in cfg.users if not u.secret_arn]
            if cfg.iam.secret_reader_arns else []}
