"""Per-organisation feature switches (families, care status, invitations, …)."""

from __future__ import annotations

from omgeving.errors import FeatureDisabled


def require(organization, feature: str) -> None:
    """Refuse (FeatureDisabled → 404 `feature_disabled`) unless the feature is switched on."""
    if not organization.has_feature(feature):
        raise FeatureDisabled(feature)
