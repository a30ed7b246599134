"""Per-organisation feature switches (families, care status, invitations, …)."""

from __future__ import annotations

from omgeving.errors import FeatureDisabled

# Every switch (each a boolean `feature_<name>` on the organisation); no Django model here,
# so that the command line's help can name them before Django starts.
FEATURES = ("families", "care_status", "invitations", "messages", "appointments", "goals",
            "reports", "documents")


def require(organization, feature: str) -> None:
    """Refuse (FeatureDisabled → 404 `feature_disabled`) unless the feature is switched on."""
    if not organization.has_feature(feature):
        raise FeatureDisabled(feature)
