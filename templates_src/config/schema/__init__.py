"""The params schema: frozen dataclasses whose field metadata (``keys.key``) is the validator's,
the JSON Schema's (``json_schema``), the docs' and the Service Catalog product's single source.
``model`` holds ``EnvConfig`` and the facts derived from several keys; one module per section
(``database``, ``network``, ``users``, ``iam``, ``provisioner``, ``stack_set``); ``key_paths``
finds a key by its dotted path."""
