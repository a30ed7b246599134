"""The admin login's throttling answer (the token views answer theirs themselves)."""

from __future__ import annotations

from django.contrib.auth import middleware as auth
from django.contrib.messages import middleware as messages
from django.contrib.sessions import middleware as sessions
from django_otp import middleware as otp

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
            response = _admin_page(request, exception)
        response["Retry-After"] = str(exception.retry_after)
        return response


def _admin_page(request, exception):
    """The admin's own page, in its layout and words (not the API's advice about tokens)."""
    from django.contrib import admin
    from django.template.response import TemplateResponse
    from django.utils.translation import gettext as _

    reasons = {
        "too_many_attempts": _("Too many failed sign-ins with this username from this "
                               "address."),
        "too_many_logins": _("This account has signed in too often in a short time."),
        "login_busy": _("Too many sign-ins are being checked at this moment."),
    }
    context = {**admin.site.each_context(request),
               "reason": reasons.get(exception.code, reasons["too_many_attempts"]),
               "minutes": max(1, -(-exception.retry_after // 60))}
    response = TemplateResponse(request, "admin/login_refused.html", context,
                                status=exception.status)
    return response.render()


# The admin's middleware, passed by for API requests. Sessions, the logged-in user, the
# second factor and messages belong to the admin (and its login pages); an API request
# authenticates with its token in DRF and has no session, cookie or message. Each class is a
# subclass of the middleware it wraps (so Django's checks still find them), whose work is
# skipped when the path is under /api/. Django's CSRF middleware stays as it is: DRF's views
# are exempt from it at no cost, and the deploy check asks for it by its own name.
API = "/api/"


class AdminOnlyMixin:
    def __call__(self, request):
        if request.path_info.startswith(API):
            return self.get_response(request)
        return super().__call__(request)

    def process_view(self, request, *args):
        if request.path_info.startswith(API) or not hasattr(super(), "process_view"):
            return None
        return super().process_view(request, *args)


class SessionMiddleware(AdminOnlyMixin, sessions.SessionMiddleware):
    pass


class AuthenticationMiddleware(AdminOnlyMixin, auth.AuthenticationMiddleware):
    pass


class OTPMiddleware(AdminOnlyMixin, otp.OTPMiddleware):
    pass


class MessageMiddleware(AdminOnlyMixin, messages.MessageMiddleware):
    pass
