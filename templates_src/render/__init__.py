"""Everything written for people and for the AWS CLI: an env's files (``files``: the template's
YAML, parameters, stack policy, DEPLOY.md, scripts), the jinja templates (``templates/``, their
environment in ``jinja_env``), cfn-flip's YAML byte for byte (``yaml_writer``), the diagram, the
IAM guide, and the escaping of params text for where it lands (``escaping``)."""
