"""Where a webhook may go: public addresses only, unless the operator allows private ones.

A merchant's URL is checked when it is registered or changed, but a name can be re-pointed
afterwards (DNS rebinding), so the delivery client checks again at the only moment that counts:
`VettedBackend` resolves the name itself, refuses the connection when any address is not public,
and connects to a vetted address. The TLS handshake, the certificate check and the Host header
still use the name, and pooled connections are keyed by the name, never shared across names.
"""
from __future__ import annotations

import ipaddress
import socket
import ssl
from collections.abc import Iterable

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT (RFC 6598)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # IPv4 inside IPv6 (RFC 6052)
_UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")


class AddressRefused(Exception):
    """The host resolves to an address webhooks must not reach; the message says which and why."""


def non_public_reason(address: str | IPAddress) -> str | None:
    """None for a globally routable unicast address, else what it is ('private', 'loopback'...)."""
    ip = ipaddress.ip_address(address.split("%")[0] if isinstance(address, str) else address)
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return non_public_reason(embedded)
    checks = (("unspecified", ip.is_unspecified), ("loopback", ip.is_loopback), ("link-local", ip.is_link_local),
              ("multicast", ip.is_multicast), ("shared (CGNAT)", ip in _SHARED))
    for name, hit in checks:
        if hit:
            return name
    if ip.is_reserved:
        return "reserved"
    if ip.is_private:
        return "unique-local" if ip.version == 6 and ip in _UNIQUE_LOCAL else "private"
    return None if ip.is_global else "non-public"


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, in the resolver's order (raises socket.gaierror)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def refusal(host: str, addresses: Iterable[str]) -> str | None:
    """Why a connection to `host` must not be made, or None when every address is public."""
    for address in addresses:
        reason = non_public_reason(address)
        if reason is not None:
            shown = host.strip("[]")
            where = address if shown == address else f"{host} resolves to {address}"
            return f"{where}, a {reason} address"
    return None


class VettedBackend(httpcore.SyncBackend):
    """httpcore's socket backend, resolving and vetting the name before connecting."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None) -> httpcore.NetworkStream:
        try:
            addresses = resolve(host, port)
        except (OSError, UnicodeError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from None
        if not self.allow_private:
            reason = refusal(host, addresses)
            if reason is not None:
                raise AddressRefused(reason)
        error: Exception | None = None
        for address in addresses:  # like socket.create_connection, but only to the vetted addresses
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        raise error or httpcore.ConnectError(f"{host} has no address")


class VettedTransport(httpx.HTTPTransport):
    """An httpx transport whose connections are made by `VettedBackend`; environment proxies
    are not used (a proxy would connect on our behalf, out of reach of the check)."""

    def __init__(self, *, allow_private: bool, verify: ssl.SSLContext | str | bool = True) -> None:
        context = httpx.create_ssl_context(verify=verify, trust_env=False)
        super().__init__(verify=context, trust_env=False)
        # HTTPTransport sends everything through `_pool`: the same pool, httpx's own limits, but
        # connections made by VettedBackend.
        self._pool = httpcore.ConnectionPool(
            ssl_context=context, max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0,
            network_backend=VettedBackend(allow_private),
        )
