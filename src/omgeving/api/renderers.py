from rest_framework import renderers


class JSONRenderer(renderers.JSONRenderer):
    """JSON only (UTF-8, no charset parameter: RFC 8259 defines none); errors are served as
    application/problem+json by the exception handler."""
