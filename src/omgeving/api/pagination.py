"""Page-number pagination with a strict page_size: a bad value is a 400, not a silent default."""

from __future__ import annotations

from django.conf import settings
from rest_framework import exceptions, pagination


class PageNumberPagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"

    @property
    def page_size(self):
        return settings.PAGE_SIZE_DEFAULT

    @property
    def max_page_size(self):
        return settings.PAGE_SIZE_MAX

    def _positive_int(self, request, name, maximum=None):
        raw = request.query_params.get(name)
        if raw is None:
            return None
        try:
            value = int(raw)
        except ValueError:
            value = 0
        if value < 1 or (maximum is not None and value > maximum):
            limit = f" between 1 and {maximum}" if maximum else " of at least 1"
            raise exceptions.ValidationError(
                {name: [exceptions.ErrorDetail(f"Must be a whole number{limit}.",
                                               code="invalid_parameter")]}
            )
        return value

    def get_page_size(self, request):
        return self._positive_int(request, "page_size", self.max_page_size) or self.page_size

    def paginate_queryset(self, queryset, request, view=None):
        self._positive_int(request, "page")
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view):
        params = super().get_schema_operation_parameters(view)
        for param in params:
            param["schema"]["minimum"] = 1
            if param["name"] == "page_size":
                param["schema"]["maximum"] = self.max_page_size
                param["description"] = (
                    f"Results per page, 1 to {self.max_page_size} (default "
                    f"{self.page_size}). Out of range → 400."
                )
        return params
