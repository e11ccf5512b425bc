"""SSM parameter names: what ``ssm_parameter_path`` may be."""

from __future__ import annotations

# ssm_parameter_path: the folder of the stack's SSM parameters. A parameter name is letters,
# digits and _.- in at most 15 levels, and may not start with aws or ssm in any case; its full
# name with its ARN is at most 1011 characters ("AWS::SSM::Parameter" Name, CloudFormation User Guide;
# "Working with parameter hierarchies", Systems Manager User Guide). The stack adds up to three
# levels (users/<name>/client-policy-arn, at most 88 characters) below the path, and the ARN
# (arn:<partition>:ssm:<region>:<account>:parameter) about 60 before it.
SSM_PARAMETER_PATH_PATTERN = r"^/(?![Aa][Ww][Ss]|[Ss][Ss][Mm])[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+){0,11}$"
SSM_PARAMETER_PATH_MAX = 800
