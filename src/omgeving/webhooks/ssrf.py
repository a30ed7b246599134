"""Where a webhook may be sent: the guard against server-side request forgery.

A receiver's host is resolved when a subscription is saved *and again at every delivery*
(a name that pointed to a public address yesterday may point to 10.0.0.1 today), and the
delivery connects to the address that was checked — not to a second lookup. Refused:

- schemes other than https (http too with OMGEVING_WEBHOOK_ALLOW_HTTP);
- user:password@ in the URL (a secret in a URL ends up in logs);
- loopback, private, link-local, site-local, multicast, unspecified, reserved and other
  non-global addresses, also IPv4 inside IPv6 (mapped, 6to4, Teredo, NAT64: the IPv4
  address inside must be global too) (allowed with OMGEVING_WEBHOOK_ALLOW_PRIVATE, for
  development and the tests);
- ports other than 443 (allowed with OMGEVING_WEBHOOK_ALLOW_PRIVATE or _ALLOW_HTTP, for
  development: a webhook is no port scanner of the internet);
- cloud metadata endpoints, always — even with OMGEVING_WEBHOOK_ALLOW_PRIVATE;
- a name that resolves to several addresses of which any one is refused.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

METADATA = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean, …
    "169.254.170.2",  # AWS ECS task metadata
    "fd00:ec2::254",  # AWS over IPv6
    "100.100.100.200",  # Alibaba Cloud
    "168.63.129.16",  # Azure wire server
))
METADATA_NAMES = frozenset({"metadata.google.internal", "metadata", "instance-data"})


class Refused(Exception):
    """The URL may not be called; the message says why (shown to the subscriber)."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as in the URL (for the Host header and TLS)
    port: int
    address: str  # the checked address to connect to


def resolve(host: str, port: int) -> list[str]:
    """The addresses of `host` (a module function so that tests can stand in for DNS)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Refused(_("The host name does not resolve.")) from exc
    return list(dict.fromkeys(info[4][0] for info in infos))


NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _embedded(ip) -> list:
    """The IPv4 addresses an IPv6 address carries (mapped, 6to4, Teredo, NAT64)."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return []
    inside = [ip.ipv4_mapped, ip.sixtofour, *(ip.teredo or ())]
    if ip in NAT64:
        inside.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return [a for a in inside if a is not None]


def address_refusal(address: str) -> str | None:
    """Why this address may not be called, or None."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip in METADATA or any(a in METADATA for a in _embedded(ip)):
        return _("a cloud metadata address")
    if settings.WEBHOOK_ALLOW_PRIVATE:
        return None
    if any(not a.is_global for a in _embedded(ip)):
        return _("an IPv6 address carrying a non-public IPv4 address")
    if isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local:
        return _("a site-local address")
    for attribute, reason in (("is_loopback", _("a loopback address")),
                              ("is_link_local", _("a link-local address")),
                              ("is_multicast", _("a multicast address")),
                              ("is_unspecified", _("an unspecified address")),
                              ("is_private", _("a private address")),
                              ("is_reserved", _("a reserved address"))):
        if getattr(ip, attribute):
            return reason
    if not ip.is_global:
        return _("not a public address")
    return None


def check(url: str) -> Target:
    """The address to deliver `url` to, after every check; Refused otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise Refused(_("Not a valid URL.")) from exc
    allowed = ("https", "http") if settings.WEBHOOK_ALLOW_HTTP else ("https",)
    if parts.scheme not in allowed:
        raise Refused(_("Only https URLs are allowed (for a receiver under development, the "
                        "server's operator can allow http with OMGEVING_WEBHOOK_ALLOW_HTTP=1)."))
    if parts.username is not None or parts.password is not None:
        raise Refused(_("A URL with a user name or password is not allowed."))
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise Refused(_("The URL has no host."))
    if host in METADATA_NAMES:
        raise Refused(_("The host is %(reason)s.") % {"reason": _("a cloud metadata address")})
    port = port or (443 if parts.scheme == "https" else 80)
    if port != 443 and not (settings.WEBHOOK_ALLOW_PRIVATE or settings.WEBHOOK_ALLOW_HTTP):
        raise Refused(_("Only port 443 is allowed (for a receiver under development, the "
                        "server's operator can allow others with "
                        "OMGEVING_WEBHOOK_ALLOW_PRIVATE=1)."))
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        addresses = resolve(host, port)
    if not addresses:
        raise Refused(_("The host name does not resolve."))
    for address in addresses:
        reason = address_refusal(address)
        if reason:
            raise Refused(_("The host is %(reason)s (%(address)s). For a receiver under "
                            "development, the server's operator can allow private and "
                            "loopback addresses with OMGEVING_WEBHOOK_ALLOW_PRIVATE=1.")
                          % {"reason": reason, "address": address})
    return Target(parts.scheme, host, port, addresses[0])
