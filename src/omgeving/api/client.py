"""Who is calling: the client address, trusting only the configured reverse proxies.

The address is REMOTE_ADDR, unless OMGEVING_TRUSTED_PROXIES (a count) says that many reverse
proxies in front of us append to X-Forwarded-For; then it is the address the outermost
trusted proxy saw. X-Forwarded-For is never trusted beyond that count. Used by the
brute-force defence and the access log.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def client_ip(request) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXIES
    if proxies <= 0:
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if h.strip()]
    if len(hops) < proxies:
        return remote  # fewer hops than proxies: the header was not written by our proxies
    candidate = hops[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
