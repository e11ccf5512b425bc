"""rds-proxy-cfn: per-environment params -> lint-clean RDS Proxy CloudFormation templates."""

import os

__version__ = "0.1.0"

# cfn-flip takes its YAML line width from $CFN_MAX_COL_WIDTH when it is first imported, which
# would make the templates depend on the environment. The same params give the same bytes on
# every machine, so this package always writes with cfn-flip's default width.
os.environ.pop("CFN_MAX_COL_WIDTH", None)
