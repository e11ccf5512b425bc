"""Validation, and only validation: each key against its declaration (``single_key``), then the
rules that relate keys, each ``(config, report)`` (``env`` lists them all; one module per
concern), the cross-key rules the Service Catalog product shares stated as data (``cross_key``),
and the rules across environments (``cross_env``). Defaults that depend on other keys are filled
in afterwards, by ``config.derive``."""
