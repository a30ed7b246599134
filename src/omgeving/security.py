"""Security headers that Django's SecurityMiddleware does not set.

- Content-Security-Policy: API answers may load nothing and be framed by nobody; the admin
  and the interactive docs load only their own scripts (inline styles are allowed: both
  use them).
- Cache-Control: no-store on API answers: personal health data must not linger in browser
  or proxy caches.
"""

from __future__ import annotations

API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self' data:; object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
PAGES = ("/admin/", "/api/docs/")


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        path = request.path_info
        if path.startswith(PAGES):
            response.setdefault("Content-Security-Policy", PAGE_POLICY)
        else:
            response.setdefault("Content-Security-Policy", API_POLICY)
        if path.startswith("/api/") and not path.startswith(("/api/docs/", "/api/schema/")):
            response["Cache-Control"] = "no-store"
        response.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response
