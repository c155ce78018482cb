"""SSRF guard for user-supplied URLs: only public http(s) hosts may be fetched.

``check_url`` validates a URL before a request; ``safe_addresses`` is called again when the socket
connects (see ``apps.channels.connectors.http``), so a host that re-resolves to an internal address
between the check and the connection (DNS rebinding) is still refused.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOWED_SCHEMES = ("http", "https")
METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_CATEGORIES = (
    ("is_unspecified", "unspecified"),
    ("is_link_local", "link-local"),
    ("is_multicast", "multicast"),
    ("is_private", "private"),
    ("is_reserved", "reserved"),
)


class UnsafeURL(ValueError):
    """The URL must not be fetched; the message says why."""


class UnresolvableHost(UnsafeURL):
    """The host name does not resolve (possibly a temporary DNS failure)."""


def loopback_allowed() -> bool:
    """Whether ``RAPPORT_ALLOW_LOOPBACK_URLS`` is on (False when settings are not configured)."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        return bool(getattr(settings, "RAPPORT_ALLOW_LOOPBACK_URLS", False))
    except ImproperlyConfigured:
        return False


def check_url(url: str) -> None:
    """Raise ``UnsafeURL`` unless ``url`` is http(s) and all its host's addresses are public."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeURL(f"invalid URL {url!r}: {exc}") from None
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        raise UnsafeURL(f"scheme {parts.scheme or '(none)'!r} is not allowed; use http or https")
    if not parts.hostname:
        raise UnsafeURL(f"URL {url!r} has no host")
    default_port = 443 if parts.scheme.lower() == "https" else 80
    safe_addresses(parts.hostname, port or default_port)


def safe_addresses(host: str, port: int) -> list[str]:
    """Resolve ``host`` to its addresses; ``UnsafeURL`` if any one of them is refused."""
    host = host.strip("[]").rstrip(".").lower()
    if (host == "localhost" or host.endswith(".localhost")) and not loopback_allowed():
        raise UnsafeURL(f"host {host!r} is a loopback name (RAPPORT_ALLOW_LOOPBACK_URLS is off)")
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnresolvableHost(f"host {host!r} does not resolve: {exc}") from None
    addresses = list(dict.fromkeys(str(info[4][0]).split("%")[0] for info in infos))
    if not addresses:
        raise UnresolvableHost(f"host {host!r} does not resolve")
    for address in addresses:
        reason = refusal_reason(ipaddress.ip_address(address))
        if reason:
            shown = host if host == address else f"{host!r} ({address})"
            raise UnsafeURL(f"host {shown} {reason}")
    return addresses


def refusal_reason(ip: IPAddress) -> str | None:
    """Why a connection to ``ip`` is refused, or None when it is allowed."""
    embedded = _embedded_ipv4(ip) if isinstance(ip, ipaddress.IPv6Address) else None
    if embedded is not None:
        reason = refusal_reason(embedded)
        return f"embeds IPv4 {embedded}, which {reason.removeprefix('is ')}" if reason else None
    if ip in METADATA_ADDRESSES:
        return "is a cloud metadata address"
    if ip.is_loopback:
        return (
            None
            if loopback_allowed()
            else "is a loopback address (RAPPORT_ALLOW_LOOPBACK_URLS is off)"
        )
    for attribute, label in _CATEGORIES:
        if getattr(ip, attribute):
            return f"is a {label} address"
    return None if ip.is_global else "is not a public address"


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address carried by an IPv4-mapped, -compatible, NAT64, 6to4 or Teredo address."""
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip in _NAT64 or (ip in _IPV4_COMPATIBLE and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour:
        return ip.sixtofour
    return ip.teredo[1] if ip.teredo else None
