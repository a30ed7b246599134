from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import APIView

from omgeving.errors import raises

from .. import services
from .serializers import ChangeEventSerializer, ChangesQuerySerializer, ChangesSerializer


class ChangesView(APIView):
    """The organisation's change feed: what was created, updated or deleted, in commit order.
    It needs no grant of its own: it shows the resources the application may read."""

    @extend_schema(
        operation_id="changes_list", summary="What changed",
        parameters=[ChangesQuerySerializer], responses={200: ChangesSerializer},
        description="Every create, update and delete of every resource, one event each, "
        "oldest first, in the order the changes committed, without gaps: follow "
        "`next_cursor` and you see each committed change exactly once. Events carry no "
        "personal data; fetch the object to see it. Only resources the application holds a "
        "read grant for are shown. Events are kept OMGEVING_CHANGES_RETENTION (30 days); a "
        "cursor whose next event was pruned answers 410 `cursor_expired`. Deleting a user "
        "deactivates it (`updated`); ending a relation or membership is `updated` (its end "
        "date), removing one that had not started `deleted`.")
    @raises("invalid_cursor", "cursor_expired")
    def get(self, request):
        unknown = sorted(set(request.query_params) - set(ChangesQuerySerializer().fields))
        if unknown:
            raise exceptions.ValidationError({name: [exceptions.ErrorDetail(
                _("Unknown query parameter."), code="unknown_parameter")] for name in unknown})
        query = ChangesQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        readable = services.readable_resources(request.user)
        if not readable:  # nothing to read: not even the feed's position (its activity)
            raise exceptions.PermissionDenied(_(
                "The change feed needs a read grant of at least one resource."),
                code="missing_grant")
        wanted = readable
        if "resource" in query.validated_data:
            asked = [r.strip() for r in query.validated_data["resource"].split(",")]
            unknown = sorted(set(asked) - set(services.resources()))
            if unknown:
                raise exceptions.ValidationError({"resource": [exceptions.ErrorDetail(
                    _("Unknown resource(s): %(names)s.") % {"names": ", ".join(unknown)},
                    code="invalid")]})
            wanted = [r for r in asked if r in readable]
        events, next_cursor, has_more = services.feed(
            request.organization, after=query.validated_data.get("after"), resources=wanted,
            limit=query.validated_data["limit"])
        return Response({"results": ChangeEventSerializer(events, many=True).data,
                         "next_cursor": next_cursor, "has_more": has_more})


