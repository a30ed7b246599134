"""The SSRF guard's verdict on each kind of address (omgeving/webhooks/ssrf.py), with the words
the subscriber is shown, and real name resolution (no network: localhost and .invalid)."""

from __future__ import annotations

import pytest

from omgeving.webhooks import ssrf

LOOPBACK, PRIVATE = "a loopback address", "a private address"
CARRYING = "an IPv6 address carrying a non-public IPv4 address"
METADATA = "a cloud metadata address"


@pytest.mark.parametrize(("address", "reason"), [
    ("93.184.216.34", None),
    ("2606:2800:220:1:248:1893:25c8:1946", None),
    ("64:ff9b::5db8:d822", "a reserved address"),  # NAT64: refused even with a public inside
    ("127.0.0.1", LOOPBACK),
    ("::1", LOOPBACK),
    ("10.0.0.1", PRIVATE),
    ("::ffff:10.0.0.1", PRIVATE),  # IPv4-mapped: judged as the IPv4 address
    ("fe80::1%eth0", "a link-local address"),  # with a zone
    ("169.254.10.1", "a link-local address"),
    ("224.0.0.1", "a multicast address"),
    ("0.0.0.0", "an unspecified address"),  # noqa: S104
    ("240.0.0.1", PRIVATE),  # Python counts 240/4 among the private networks
    ("4000::1", "a reserved address"),
    ("fec0::1", "a site-local address"),
    ("100.64.0.1", "not a public address"),  # shared address space (carrier NAT)
    ("2002:a00:1::", CARRYING),  # 6to4 of 10.0.0.1
    ("64:ff9b::a00:1", CARRYING),  # NAT64 of 10.0.0.1
    ("2001:0:4136:e378:8000:63bf:f5ff:fffe", CARRYING),  # Teredo of 10.0.0.1
    ("169.254.169.254", METADATA),
    ("64:ff9b::a9fe:a9fe", METADATA),  # NAT64 of 169.254.169.254
    ("100.100.100.200", METADATA),
])
def test_each_address_gets_its_verdict_in_words(settings, address, reason):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    assert ssrf.address_refusal(address) == reason


def test_names_are_resolved_for_real(settings):
    assert "127.0.0.1" in ssrf.resolve("localhost", 443)
    settings.WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(ssrf.Refused) as refused:
        ssrf.check("https://localhost/hook")
    first = ssrf.resolve("localhost", 443)[0]  # 127.0.0.1 or ::1, as the machine orders them
    assert str(refused.value) == (
        f"The host is a loopback address ({first}). For a receiver under development, the "
        "server's operator can allow private and loopback addresses with "
        "OMGEVING_WEBHOOK_ALLOW_PRIVATE=1.")
    with pytest.raises(ssrf.Refused, match="^The host name does not resolve.$"):
        ssrf.check("https://no-such-host.invalid/hook")


ONLY_HTTPS = ("Only https URLs are allowed (for a receiver under development, the server's "
              "operator can allow http with OMGEVING_WEBHOOK_ALLOW_HTTP=1).")
NO_CREDENTIALS = "A URL with a user name or password is not allowed."


@pytest.mark.parametrize(("url", "message"), [
    ("https://[::1/hook", "Not a valid URL."),
    ("https://example.org:99999/hook", "Not a valid URL."),
    ("ftp://93.184.216.34/hook", ONLY_HTTPS),
    ("http://93.184.216.34/hook", ONLY_HTTPS),
    ("https://user@93.184.216.34/hook", NO_CREDENTIALS),
    ("https://:secret@93.184.216.34/hook", NO_CREDENTIALS),
    ("https:///hook", "The URL has no host."),
    ("https://metadata.google.internal./hook", "The host is a cloud metadata address."),
    ("https://93.184.216.34:8443/hook", "Only port 443 is allowed (for a receiver under "
     "development, the server's operator can allow others with "
     "OMGEVING_WEBHOOK_ALLOW_PRIVATE=1)."),
])
def test_each_refused_url_says_why(settings, url, message):
    settings.WEBHOOK_ALLOW_PRIVATE = settings.WEBHOOK_ALLOW_HTTP = False
    with pytest.raises(ssrf.Refused) as refused:
        ssrf.check(url)
    assert str(refused.value) == message


def test_what_is_allowed_and_where_it_is_sent(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = settings.WEBHOOK_ALLOW_HTTP = False
    assert ssrf.check("https://93.184.216.34/hook") == ssrf.Target(
        "https", "93.184.216.34", 443, "93.184.216.34")
    settings.WEBHOOK_ALLOW_HTTP = True  # development: http, and https still
    assert ssrf.check("http://93.184.216.34:8080/hook") == ssrf.Target(
        "http", "93.184.216.34", 8080, "93.184.216.34")
    assert ssrf.check("https://93.184.216.34/hook").scheme == "https"


def test_metadata_with_a_zone_is_still_metadata_with_private_allowed(settings):
    """An IPv6 address with a zone (`%eth0`, as name resolution may give it) is judged
    without it: the metadata address stays refused even where private ones are allowed."""
    settings.WEBHOOK_ALLOW_PRIVATE = True
    assert ssrf.address_refusal("fd00:ec2::254%eth0") == METADATA
    assert ssrf.address_refusal("fd00:ec2::254") == METADATA
    assert ssrf.address_refusal("fe80::1%eth0") is None  # allowed: private is on


def test_http_goes_to_port_80_and_a_name_without_addresses_is_refused(settings, monkeypatch):
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOW_PRIVATE = False
    assert ssrf.check("http://93.184.216.34/hook").port == 80
    monkeypatch.setattr(ssrf, "resolve", lambda host, port: [])
    with pytest.raises(ssrf.Refused) as refused:
        ssrf.check("https://example.org/hook")
    assert str(refused.value) == "The host name does not resolve."
