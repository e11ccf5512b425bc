"""The database-users provisioner: a function that runs db-users.sql as the database's admin,
and the custom resource that calls it before the proxy's target is registered.

The target group's create and update handlers wait until the target is AVAILABLE
(aws-cloudformation-resource-providers-rds-proxy, aws-rds-dbproxytargetgroup, CreateHandler /
UpdateHandler and Utility.validateHealth), and a target is UNAVAILABLE with AUTH_FAILURE while
the users its secrets name do not exist (RDS API, TargetHealth): so the users' resource comes
first, after every secret it reads, and the target group, the endpoints and the rotation
schedules wait for it (users_ready.waits_for_users).

CloudFormation sends an Update to a custom resource only when its properties change
("Custom resources", CloudFormation User Guide), so the properties hold exactly what must re-run
it: the SQL (users, roles, privileges, target database), each user's secret, how generated
passwords are made (a change makes Secrets Manager generate new ones), and the target.
The function's own resources take generated names, or a name the stack deletes with it, so a
delete or a rollback never leaves one behind to block the next create.
"""

from __future__ import annotations


from awacs import kms as kms_actions
from awacs import logs, rds, secretsmanager, sts
from awacs.aws import Allow, Condition, PolicyDocument, Principal, Statement, StringEquals
from troposphere import AWSObject, GetAtt, Join, Ref, Sub
from troposphere.cloudformation import CustomResource
from troposphere.awslambda import Code, Function, LoggingConfig, VPCConfig
from troposphere.iam import ManagedPolicy, Role

from ..facts import aws as facts
from ..facts import provisioner as pfacts
from ..facts.aws import EngineFamily
from ..config.schema.model import EnvConfig
from ..dbusers.grants import user_grants
from ..facts.drivers import DEFAULT_DATABASE
from ..dbusers.deploy_order import artifact_key
from ..facts.sql import DISABLE_LOGIN
from ..dbusers.sql import provisioner_sql
from . import names
from .common import listed, provisioner_log_group_name, tags
from .iam import role_options, secret_keys
from .logs import kept_log_group, log_group_name
from .suppressions import provisioner_function

LAMBDA_SERVICE_PRINCIPAL = "lambda.amazonaws.com"
# The AWS managed policy Lambda's guide gives a function in a VPC: create, describe and delete
# its network interfaces, and write its logs ("Giving Lambda functions access to resources in an
# Amazon VPC", Lambda Developer Guide). Lambda checks for these permissions when it creates the
# function; ec2:DescribeNetworkInterfaces takes no resource-level scope.
VPC_ACCESS_POLICY_SUB = "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"


def own_log_group_name(cfg: EnvConfig) -> Join:
    """Ends with the stack's own id (the UUID of its StackId, new at each create), so a group kept
    after a delete or a failed create never holds the name the next stack of this env needs."""
    return provisioner_log_group_name(cfg.proxy.name)


def build_provisioner(cfg: EnvConfig) -> list[AWSObject]:
    if cfg.provisioner is None:
        return []
    return [kept_log_group(cfg, names.PROVISIONER_LOG_GROUP, own_log_group_name(cfg)), _policy(cfg), _role(cfg), _function(cfg), _users(cfg)]


def _secrets_read(cfg: EnvConfig) -> list:
    """The admin secret and each password user's secret; not the master's (db-users.sql leaves the
    master alone), unless the master's secret is the admin's. No other user's secret is the admin's
    (config.rules.auth refuses it)."""
    assert cfg.provisioner is not None
    users = [] if cfg.end_to_end_iam else [user.secret_arn or Ref(names.secret(user.username)) for user in cfg.sql_users]
    return [cfg.provisioner.admin_secret_arn, *users]


def _keys_used(cfg: EnvConfig) -> list:
    """Customer managed keys of those secrets: the proxy's (the env's key and each brought secret's
    users[].secret_kms_key_arn; one under aws/secretsmanager needs no grant: its key policy lets
    the account's principals use it through Secrets Manager) but the master's, and the admin secret's."""
    assert cfg.provisioner is not None
    admin = cfg.provisioner.admin_secret_kms_key_arn
    read = {u.secret_kms_key_arn for u in cfg.sql_users if u.secret_arn} | {cfg.secrets.kms_key_arn}
    masters_only = {cfg.master_user.secret_kms_key_arn} - read if cfg.master_user else set()
    users = [] if cfg.end_to_end_iam else [key for key in secret_keys(cfg) if key not in masters_only]
    return [*users, *([admin] if admin and admin not in users else [])]


def _database_arn(cfg: EnvConfig) -> Sub:
    target = cfg.target
    if target.db_cluster_identifier:
        return Sub(pfacts.DB_CLUSTER_ARN_SUB % target.db_cluster_identifier)
    return Sub(pfacts.DB_INSTANCE_ARN_SUB % target.db_instance_identifier)


def _policy(cfg: EnvConfig) -> ManagedPolicy:
    describe = rds.DescribeDBClusters if cfg.target.db_cluster_identifier else rds.DescribeDBInstances
    keys = _keys_used(cfg)
    statements = [
        Statement(Sid="ReadAdminAndUserSecrets", Effect=Allow, Action=[secretsmanager.GetSecretValue],
                  Resource=_secrets_read(cfg)),
        # kms:ViaService as the RDS Proxy setup page's own policy has it (rds-proxy-iam-setup.html).
        *([Statement(Sid="DecryptThroughSecretsManager", Effect=Allow, Action=[kms_actions.Decrypt],
                     Resource=keys,
                     Condition=Condition([StringEquals("kms:ViaService",
                                                       Sub(facts.SECRETS_MANAGER_VIA_SERVICE_SUB))]))]
          if keys else []),
        Statement(Sid="FindTheDatabase", Effect=Allow, Action=[describe], Resource=[_database_arn(cfg)]),
        # The proxy's log group, made or adopted (builders/logs.py). The log-group resource type
        # of these actions (Service Authorization Reference, "Actions defined by Amazon CloudWatch
        # Logs"): the group's ARN, with or without the ':*' the API's own ARNs end with.
        Statement(Sid="KeepTheProxyLogGroup", Effect=Allow,
                  Action=[logs.AssociateKmsKey, logs.CreateLogGroup, logs.PutRetentionPolicy, logs.TagResource,
                          logs.UntagResource],
                  Resource=[Sub(facts.LOG_GROUP_ARN_SUB % log_group_name(cfg)),
                            Sub(facts.LOG_GROUP_ARN_SUB % log_group_name(cfg) + ":*")]),
    ]
    return ManagedPolicy(
        names.PROVISIONER_POLICY,
        Description=f"Lets the database-users provisioner of RDS Proxy {cfg.proxy.name} ({cfg.environment}) "
                    "read the admin and user secrets and find the database",
        PolicyDocument=PolicyDocument(Version="2012-10-17", Statement=statements),
    )


def _role(cfg: EnvConfig) -> Role:
    return Role(
        names.PROVISIONER_ROLE,
        Description=f"Runs the database-users provisioner of RDS Proxy {cfg.proxy.name} ({cfg.environment})",
        AssumeRolePolicyDocument=PolicyDocument(Version="2012-10-17", Statement=[Statement(
            Effect=Allow, Principal=Principal("Service", [LAMBDA_SERVICE_PRINCIPAL]), Action=[sts.AssumeRole])]),
        ManagedPolicyArns=[Ref(names.PROVISIONER_POLICY), Sub(VPC_ACCESS_POLICY_SUB)],
        Tags=tags(cfg),
        **role_options(cfg),
    )


def _function(cfg: EnvConfig) -> Function:
    assert cfg.provisioner is not None
    return Function(
        names.PROVISIONER_FUNCTION,
        Description=f"Creates the database users of RDS Proxy {cfg.proxy.name} ({cfg.environment})",
        Runtime=pfacts.LAMBDA_RUNTIME,
        Handler=pfacts.HANDLER,
        Code=Code(S3Bucket=cfg.provisioner.artifact_bucket, S3Key=artifact_key(cfg.provisioner.ca_bundle_sha256)),
        Role=GetAtt(names.PROVISIONER_ROLE, "Arn"),
        Timeout=pfacts.FUNCTION_TIMEOUT_SECONDS,
        MemorySize=pfacts.FUNCTION_MEMORY_MB,
        ReservedConcurrentExecutions=pfacts.RESERVED_CONCURRENCY,
        VpcConfig=VPCConfig(SubnetIds=listed(cfg.network.subnet_ids),
                            SecurityGroupIds=[GetAtt(names.PROVISIONER_SECURITY_GROUP, "GroupId")]),
        LoggingConfig=LoggingConfig(LogGroup=Ref(names.PROVISIONER_LOG_GROUP)),
        Tags=tags(cfg),
        # The role lists its policies, so it is complete once they are attached; the ingress rules
        # that let the function into the database's and the endpoints' groups are separate
        # resources, so the first run waits for them explicitly.
        **({"DependsOn": rules} if (rules := _ingress_rules(cfg)) else {}),
        **provisioner_function(),
    )


def _ingress_rules(cfg: EnvConfig) -> list[str]:
    assert cfg.provisioner is not None
    return [*([names.DATABASE_INGRESS_FROM_PROVISIONER] if cfg.network.database_security_group_id else []),
            *([names.ENDPOINT_INGRESS_FROM_PROVISIONER] if cfg.provisioner.endpoint_security_group_id else [])]


def password_generation(cfg: EnvConfig) -> dict[str, object]:
    """Changes exactly when Secrets Manager would generate new passwords for the stack's secrets:
    the generator's settings as they are (no digest, so the Service Catalog product, which has
    them as parameters, writes the same value)."""
    return {"PasswordLength": cfg.secrets.password_length, "ExcludeCharacters": cfg.secrets.exclude_characters or ""}


class DatabaseUsers(CustomResource):
    """The users' custom resource (troposphere passes any property of a Custom:: type through)."""
    resource_type = pfacts.CUSTOM_RESOURCE_TYPE


PASSWORD_FORMS = {EngineFamily.POSTGRESQL: "scram-sha-256", EngineFamily.MYSQL: "literal"}


def _users(cfg: EnvConfig) -> DatabaseUsers:
    assert cfg.provisioner is not None
    disable = DISABLE_LOGIN[cfg.engine_family]
    users = []
    for grants in user_grants(cfg):
        user: dict = {"Username": grants.username, "Disable": disable.format(username=grants.username)}
        if not grants.iam:
            user["SecretArn"] = (next(u.secret_arn for u in cfg.sql_users if u.username == grants.username)
                                 or Ref(names.secret(grants.username)))
            user["PasswordForm"] = "md5" if grants.md5 else PASSWORD_FORMS[cfg.engine_family]
        users.append(user)
    target = cfg.target
    where = ({"DBClusterIdentifier": target.db_cluster_identifier} if target.db_cluster_identifier
             else {"DBInstanceIdentifier": target.db_instance_identifier})
    properties = {
        "ServiceToken": GetAtt(names.PROVISIONER_FUNCTION, "Arn"),
        "ServiceTimeout": pfacts.SERVICE_TIMEOUT_SECONDS,
        "Engine": target.engine.value,
        **where,
        # PostgreSQL connects to a database (create-db-users.sh's psql to the same one); MySQL to none.
        **({"DatabaseName": target.database_name or DEFAULT_DATABASE[cfg.engine_family]}
           if target.database_name or cfg.engine_family is EngineFamily.POSTGRESQL else {}),
        "AdminSecretArn": cfg.provisioner.admin_secret_arn,
        "Users": users,
        # Never disabled, even when a user of that name was listed before (the handler's removed users).
        **({"LeaveAlone": [cfg.master_user.username]} if cfg.master_user else {}),
        "Sql": provisioner_sql(cfg),
        **({"PasswordGeneration": password_generation(cfg)}
           if cfg.generates_secrets else {}),
    }
    return DatabaseUsers(names.DATABASE_USERS, **properties)
