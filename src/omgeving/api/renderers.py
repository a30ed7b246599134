from rest_framework import renderers


class JSONRenderer(renderers.JSONRenderer):
    """JSON only: the API speaks JSON, errors as application/problem+json."""

    charset = "utf-8"
