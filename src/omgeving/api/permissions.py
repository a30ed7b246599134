from rest_framework.permissions import BasePermission


class IsApplication(BasePermission):
    """Only an authenticated Application user of the request's organisation uses the API."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        organization = getattr(request._request, "organization", None)
        return bool(
            user is not None and getattr(user, "is_application", False)
            and organization is not None and user.organization_id == organization.pk
        )
