from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound
from rest_framework.permissions import SAFE_METHODS, BasePermission

from omgeving.accounts import grants


class ApplicationPermission(BasePermission):
    """The one gate of every API view:

    1. an authenticated Application user of the request's organisation (else 401/403);
       for a per-organisation feature (`feature`), switched on (else 404 `feature_disabled`);
    2. holding the grant the view needs: `required_grant` if the view names one, else
       `<family>:read` for safe methods and `<family>:write` for the rest, the family being
       `grant_family` (else 403 `missing_grant`, naming the grant). The knobs are declared
       on omgeving.api.viewsets.GrantsMixin; plain API views may set them too.
    """

    code = None
    message = None

    def has_permission(self, request, view) -> bool:
        user = request.user
        organization = getattr(request, "organization", None)
        if not (user is not None and getattr(user, "is_application", False)
                and organization is not None and user.organization_id == organization.pk):
            return False
        feature = getattr(view, "feature", None)
        if feature and not organization.has_feature(feature):
            raise NotFound(_("The feature '%(feature)s' is not switched on for this "
                             "organisation.") % {"feature": feature}, code="feature_disabled")
        required = required_grant(view, request)
        if required and not user.has_grant(required):
            self.code = "missing_grant"
            self.message = _("This application lacks the grant '%(grant)s'.") % {
                "grant": required}
            return False
        return True


def required_grant(view, request) -> str | None:
    explicit = getattr(view, "required_grant", None)
    if explicit:
        return explicit
    family = getattr(view, "grant_family", None)
    return grants.for_action(family, request.method in SAFE_METHODS) if family else None
