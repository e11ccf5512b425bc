"""The secrets policy: no password in a template; every secret is generated.

Guard form: ``policies/secrets.guard``, whose rotation rule is one of the registry's intents
(``registry``). The table of rules and Guard's semantics: ``rules``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import partial
from typing import Any

from .walk import Path, resources_of, say

PASSWORD_KEY = r'"password"'

FIX_SECRET = "Fix: let GenerateSecretString create the password"

MESSAGES = {
    "secret_string": "Violation: a secret carries a plaintext SecretString",
    "secret_generated": "Violation: a secret must be generated (GenerateSecretString)",
    "secret_template": "Violation: the SecretStringTemplate of a generated secret must not contain a password",
}


_say = partial(say, MESSAGES)


def no_plaintext_secret(template: Mapping[str, Any]) -> Iterator[tuple[Path, str]]:
    for name, secret in resources_of(template, ("AWS::SecretsManager::Secret",)):
        properties, where = secret.get("Properties"), ("Resources", name, "Properties")
        if not isinstance(properties, Mapping):
            yield ("Resources", name), _say("secret_generated")
            continue
        if "SecretString" in properties:
            yield (*where, "SecretString"), _say("secret_string", FIX_SECRET)
        if "GenerateSecretString" not in properties:
            yield (*where, "GenerateSecretString"), _say("secret_generated")
            continue
        generated = properties["GenerateSecretString"]
        if isinstance(generated, Mapping) and "SecretStringTemplate" in generated:
            text = generated["SecretStringTemplate"]
            if not isinstance(text, str) or re.search(PASSWORD_KEY, text):
                yield (*where, "GenerateSecretString", "SecretStringTemplate"), _say("secret_template")
