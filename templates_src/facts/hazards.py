"""The named hazards of a change to a deployed stack (``templates_src.impact`` finds them).

Its own tiny module because both the params schema (``config.model``: ``accept``) and the
change analysis (``impact``) name them, and config must not import from a later stage.
"""

from __future__ import annotations

import enum


class Hazard(str, enum.Enum):
    UPDATE_FAILS = "update-fails"
    REPLACES_RETAINED = "replaces-retained"
    REGENERATES_SECRET = "regenerates-secret"
    BREAKS_EXPORT = "breaks-export"
    CHANGES_ENDPOINT = "changes-endpoint"
    DISABLES_LOGINS = "disables-logins"
    CHANGES_TARGET = "changes-target"
    DENIED_BY_POLICY = "denied-by-policy"


class AcceptedHazard(str, enum.Enum):
    """The hazards a params file may accept (``accept: [...]``); changes-endpoint and
    denied-by-policy are never refused (deploy.sh lifts the policy for the reviewed change)."""

    REGENERATES_SECRET = Hazard.REGENERATES_SECRET.value
    UPDATE_FAILS = Hazard.UPDATE_FAILS.value
    REPLACES_RETAINED = Hazard.REPLACES_RETAINED.value
    BREAKS_EXPORT = Hazard.BREAKS_EXPORT.value
    DISABLES_LOGINS = Hazard.DISABLES_LOGINS.value
    CHANGES_TARGET = Hazard.CHANGES_TARGET.value


# A build that writes refuses these for an environment already in the out folder (exit 2)...
REFUSED_BY_BUILD = frozenset({Hazard.UPDATE_FAILS, Hazard.REGENERATES_SECRET, Hazard.DISABLES_LOGINS})
# ...and --check (the CI gate) refuses these as well; a build only prints them.
REFUSED_BY_CHECK = REFUSED_BY_BUILD | {Hazard.REPLACES_RETAINED, Hazard.BREAKS_EXPORT, Hazard.CHANGES_TARGET}
