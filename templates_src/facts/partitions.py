"""Each region's partition (AWS General Reference, "Amazon Resource Names": aws, aws-cn for cn-*,
aws-us-gov for us-gov-*, aws-iso for us-iso-*, aws-iso-b for us-isob-*)."""

REGION_PARTITIONS = (("cn-", "aws-cn"), ("us-gov-", "aws-us-gov"), ("us-isob-", "aws-iso-b"),
                     ("us-iso-", "aws-iso"))
DEFAULT_PARTITION = "aws"


def region_partition(region: str) -> str:
    """The partition a region belongs to."""
    return next((partition for prefix, partition in REGION_PARTITIONS if region.startswith(prefix)),
                DEFAULT_PARTITION)
