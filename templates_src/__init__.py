"""rds-proxy-cfn: per-environment params -> lint-clean RDS Proxy CloudFormation templates."""

__version__ = "0.1.0"
