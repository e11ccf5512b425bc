"""What the portfolio owner's ``_product.yaml`` changes in the product's parameters: the weaker
values of a security parameter, offered only when waived, and the staged code's location.
"""

from __future__ import annotations

import dataclasses

from ..config.product_settings import PRODUCT_SETTINGS_FILE, ProductSettings
from ..dbusers.deploy_order import artifact_key
from . import placeholders as ph
from .placeholders import slots
from .product_parameter import ProductParameter

# The parameters a launcher could weaken security with, by the product waiver that widens them
# (config.product_settings); without it they allow only their default, the schema's secure one.
# A launcher picks the parameters, so an env's params and waivers cannot stop a launch that sets
# false or DISABLED: the template's AllowedValues can. Service Catalog shows them to the launcher
# as the parameter's constraints ("AllowedValues: The values that the administrator has allowed
# for the parameter", ParameterConstraints, AWS Service Catalog API Reference, returned by
# DescribeProvisioningParameters), and CloudFormation validates the values given against them
# ("A set of criteria that CloudFormation uses to validate parameter values", ParameterConstraints,
# AWS CloudFormation API Reference). Not checked against AWS here: a launch with RequireTLS=false
# on the default product is expected to fail in that validation, before any resource is made.
SECURE_VALUES: dict[str, str] = {
    ph.REQUIRE_TLS: "require_tls",
    **{ph.user_param(i, "IamAuth"): "iam_auth" for i in slots(ph.USER_SLOTS)},
}
_ONLY_SECURE = {
    ph.REQUIRE_TLS: "Refuse clients without TLS: always true in this product (a portfolio owner allows false "
                    f"with waivers.require_tls in the params folder's {PRODUCT_SETTINGS_FILE}).",
    ph.user_param(1, "IamAuth"): "REQUIRED (IAM token only): the only value in this product (a portfolio owner "
                                 "allows DISABLED, and ENABLED on SQL Server, with waivers.iam_auth in the params "
                                 f"folder's {PRODUCT_SETTINGS_FILE}).",
}


def offered(parameter: ProductParameter, settings: ProductSettings) -> ProductParameter:
    """``parameter`` as this product offers it: a security parameter keeps its weaker values only
    when the settings waive them, and then says why (the reason, as given)."""
    if parameter.name not in SECURE_VALUES:
        return parameter
    waiver = SECURE_VALUES[parameter.name]
    reason = getattr(settings.waivers, waiver)
    if reason is None:
        assert parameter.default is not None, parameter.name
        return dataclasses.replace(parameter, allowed_values=(parameter.default,),
                                   description=_ONLY_SECURE.get(parameter.name, parameter.description))
    if parameter.description.startswith("As "):  # a later slot: the first one carries the reason
        return parameter
    return dataclasses.replace(parameter, description=f"{parameter.description} Offered by the portfolio owner "
                                                      f"(waivers.{waiver}): {reason}")


def staged(parameter: ProductParameter, settings: ProductSettings) -> ProductParameter:
    """The code's bucket and key default to where the portfolio owner stages it (_product.yaml)."""
    code = settings.provisioner
    if code is None or parameter.name not in (ph.ARTIFACT_BUCKET, ph.ARTIFACT_KEY):
        return parameter
    default = code.artifact_bucket if parameter.name == ph.ARTIFACT_BUCKET else artifact_key(code.ca_bundle_sha256)
    return dataclasses.replace(parameter, default=default,
                               description=f"{parameter.description} Default: where the portfolio stages it.")
