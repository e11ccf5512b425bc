"""Reading params files: the YAML with the line and column of every key (``yaml_loader``, libyaml's
fast path in ``yaml_compose``), never through a link (``safe_files``), then the ``_defaults``
layers (``layers``) merged under each env's own file (``merge``)."""
