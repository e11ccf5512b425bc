"""portfolio.yaml: the Service Catalog portfolio, the product (one version per project release),
a launch role that can create, update and delete exactly the product's kinds of resources
(``launch_permissions``), the launch constraint that makes Service Catalog use it, and the
principal who may launch.

IAM names are one per account, and the launch constraint finds the role by name, so one role
serves the portfolio in every region of the account: its regional ARNs name any region of this
account, and the portfolio stack of a second region uses the first one's role
(``CreateLaunchRole`` false) instead of failing on the taken name.
"""

from __future__ import annotations

from awacs.aws import Allow, PolicyDocument, Principal, Statement
from troposphere import Equals, If, Output, Parameter, Ref, Sub, Template
from troposphere.iam import Policy, Role
from troposphere.servicecatalog import (CloudFormationProduct, Info, LaunchRoleConstraint, Portfolio,
                                        PortfolioPrincipalAssociation, PortfolioProductAssociation,
                                        ProvisioningArtifactProperties)

from ..builders.stack import TEMPLATE_FORMAT_VERSION
from ..builders.suppressions import INLINE_LAUNCH_POLICY, NAMED_LAUNCH_ROLE, UNSCOPED_LAUNCH_ACTIONS, suppressed
from .launch_permissions import ANY_BUCKET, PASS_ROLE_GUARD, action, guarded_launch_policy

PRODUCT_NAME = "RDS Proxy"
CREATE_LAUNCH_ROLE = "CreateLaunchRole"  # the parameter, and the condition of the same name
SERVICE_CATALOG_PRINCIPAL = "servicecatalog.amazonaws.com"

__all__ = ["ANY_BUCKET", "CREATE_LAUNCH_ROLE", "PRODUCT_NAME", "SERVICE_CATALOG_PRINCIPAL", "portfolio_template"]


def _parameters(template: Template) -> dict[str, Parameter]:
    """The portfolio stack's parameters (and the conditions of its two switches), by name."""
    added = [template.add_parameter(p) for p in (
        Parameter("ProductTemplateUrl", Type="String", AllowedPattern=r"^https://\S+$",
                  Description="HTTPS URL of service-catalog/rds-proxy-product.yaml (e.g. its S3 object URL)."),
        Parameter("PrincipalArn", Type="String",
                  AllowedPattern=r"^arn:aws[a-z-]*:iam::[0-9]{12}:(?:role|user|group)/\S+$",
                  Description="IAM role, user or group that may launch the product."),
        Parameter("LaunchRoleName", Type="String", Default="RdsProxyProductLaunchRole",
                  AllowedPattern=r"^[\w+=,.@-]{1,64}$",
                  Description="Name of the launch role (the launch constraint finds it by this name). One role serves "
                              "every region of the account: in a second region, give the first region's name and "
                              "CreateLaunchRole false."),
        Parameter(CREATE_LAUNCH_ROLE, Type="String", Default="true", AllowedValues=["true", "false"],
                  Description="true: this stack creates the launch role. false: the role LaunchRoleName exists already "
                              "(the portfolio stack of another region of this account made it); IAM names are one per "
                              "account."),
        Parameter("ProviderName", Type="String", Default="Platform team", MinLength=1,
                  Description="Who provides and supports the product, as shown to its users."),
        Parameter(PASS_ROLE_GUARD, Type="String", Default="false", AllowedValues=["false", "true"],
                  Description="true: the launch role passes roles only to rds.amazonaws.com (iam:PassedToService). Off "
                              "by default: no AWS page documents that value for CreateDBProxy; if RDS Proxy's check "
                              "carries another, every launch fails. Turn on once verified in your account."),
    )]
    for switch in (CREATE_LAUNCH_ROLE, PASS_ROLE_GUARD):
        template.add_condition(switch, Equals(Ref(switch), "true"))
    return {p.title: p for p in added}


def _interface() -> dict[str, object]:
    return {"AWS::CloudFormation::Interface": {
        "ParameterGroups": [{"Label": {"default": "Product"}, "Parameters": ["ProductTemplateUrl", "ProviderName"]},
                            {"Label": {"default": "Access"}, "Parameters": ["PrincipalArn", "LaunchRoleName",
                                                                              CREATE_LAUNCH_ROLE, PASS_ROLE_GUARD]}],
        "ParameterLabels": {"ProductTemplateUrl": {"default": "Product template URL"},
                            "ProviderName": {"default": "Provider"},
                            "PrincipalArn": {"default": "Principal ARN"},
                            "LaunchRoleName": {"default": "Launch role name"},
                            CREATE_LAUNCH_ROLE: {"default": "Create the launch role"},
                            PASS_ROLE_GUARD: {"default": "Pass roles only to RDS"}},
    }}


def _launch_role(role_name: Parameter, resource_types: set[str], code_bucket: str) -> Role:
    return Role(
        "LaunchRole", Condition=CREATE_LAUNCH_ROLE, RoleName=Ref(role_name),
        Description="Assumed by Service Catalog to launch, update and terminate the RDS Proxy product",
        AssumeRolePolicyDocument=PolicyDocument(Version="2012-10-17", Statement=[Statement(
            Effect=Allow, Principal=Principal("Service", [SERVICE_CATALOG_PRINCIPAL]),
            Action=[action("sts:AssumeRole")],
        )]),
        Policies=[Policy(PolicyName="launch-rds-proxy-product",
                         PolicyDocument=guarded_launch_policy(resource_types, code_bucket))],
        **suppressed(NAMED_LAUNCH_ROLE, INLINE_LAUNCH_POLICY, UNSCOPED_LAUNCH_ACTIONS))


def portfolio_template(version: str, resource_types: set[str], code_bucket: str = ANY_BUCKET) -> Template:
    template = Template(Description=f"Service Catalog portfolio and product for rds-proxy-cfn {version}: "
                                    "launch role, launch constraint and the principal who may launch it")
    template.set_version(TEMPLATE_FORMAT_VERSION)
    parameters = _parameters(template)
    template.set_metadata(_interface())
    provider, role_name = parameters["ProviderName"], parameters["LaunchRoleName"]
    portfolio = template.add_resource(Portfolio(
        "Portfolio", DisplayName=PRODUCT_NAME, ProviderName=Ref(provider),
        Description="RDS Proxy in front of an RDS instance or Aurora cluster, secure by default"))
    product = template.add_resource(CloudFormationProduct(
        "Product", Name=PRODUCT_NAME, Owner=Ref(provider), Distributor=Ref(provider),
        Description="An RDS Proxy with its secrets, KMS key, security group, IAM role and client policy",
        ProvisioningArtifactParameters=[ProvisioningArtifactProperties(
            Name=version, Description=f"rds-proxy-cfn {version}", Type="CLOUD_FORMATION_TEMPLATE",
            Info=Info(LoadTemplateFromURL=Ref(parameters["ProductTemplateUrl"])))]))
    association = template.add_resource(PortfolioProductAssociation(
        "PortfolioProduct", PortfolioId=Ref(portfolio), ProductId=Ref(product)))
    role = template.add_resource(_launch_role(role_name, resource_types, code_bucket))
    template.add_resource(LaunchRoleConstraint(
        "LaunchConstraint", PortfolioId=Ref(portfolio), ProductId=Ref(product),
        LocalRoleName=If(CREATE_LAUNCH_ROLE, Ref(role), Ref(role_name)),
        Description="Launch with the product's launch role", DependsOn=[association.title]))
    template.add_resource(PortfolioPrincipalAssociation(
        "PrincipalAccess", PortfolioId=Ref(portfolio), PrincipalARN=Ref(parameters["PrincipalArn"]),
        PrincipalType="IAM"))
    for name, description, value in (("PortfolioId", "The portfolio", Ref(portfolio)),
                                     ("ProductId", "The product", Ref(product)),
                                     ("LaunchRoleArn", "The launch role",
                                      Sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${%s}" % role_name.title))):
        template.add_output(Output(name, Description=description, Value=value))
    return template
