"""The admin login's throttling answer (the token views answer theirs themselves)."""

from __future__ import annotations

from django.http import HttpResponse

from omgeving.api.problems import problem_response

from .lockout import LoginRefused


class LoginRefusedMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, LoginRefused):
            return None
        if request.path_info.startswith("/api/"):
            response = problem_response(exception.status, code=exception.code,
                                        detail=str(exception))
        else:
            response = HttpResponse(str(exception), status=exception.status,
                                    content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(exception.retry_after)
        return response
