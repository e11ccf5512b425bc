"""How a params value becomes part of a CloudFormation logical id.

The builders name resources with it (``builders/names.py``), and the params rules refuse two
values that would become the same name, so both read it from here.
"""


def resource_name(username: str) -> str:
    """A username as a CloudFormation logical-id fragment: app_user -> AppUser."""
    return "".join(part[:1].upper() + part[1:] for part in username.split("_") if part) or "User"
