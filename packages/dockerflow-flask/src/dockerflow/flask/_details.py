"""Who may see the heartbeat's ``details``: everyone, or a token and networks.

With ``DOCKERFLOW_HEARTBEAT_DETAILS = False`` the public body keeps ``status``
and ``checks`` only; a request that sends ``Authorization: Bearer <token>``
with ``DOCKERFLOW_HEARTBEAT_DETAILS_TOKEN``, or whose peer address is in
``DOCKERFLOW_HEARTBEAT_DETAILS_NETWORKS``, still gets the messages.
"""

from __future__ import annotations

import hmac
import ipaddress
from typing import Any, Union

from dockerflow.logging import Headers

__all__ = ["DetailsAccess", "IPNetwork"]

IPNetwork = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]

_BEARER = "bearer "


class DetailsAccess:
    """Decides, per request, whether the heartbeat body includes ``details``."""

    __slots__ = ("_networks", "_token", "public")

    def __init__(
        self, *, public: bool, token: str | None = None, networks: tuple[IPNetwork, ...] = ()
    ) -> None:
        self.public = public
        self._token = None if token is None else token.encode("ascii")
        self._networks = networks

    def allows(self, headers: Headers, remote_addr: str | None) -> bool:
        """True when a request with ``headers`` from ``remote_addr`` may see details."""
        if self.public:
            return True
        if self._networks and _in_networks(remote_addr, self._networks):
            return True
        if self._token is not None:
            presented = _bearer_token(headers.get("Authorization"))
            # compare_digest: the time taken does not tell how much matched.
            return presented is not None and hmac.compare_digest(presented, self._token)
        return False


def _bearer_token(header: Any) -> bytes | None:
    if not isinstance(header, str) or header[: len(_BEARER)].lower() != _BEARER:
        return None
    # WSGI header values are latin-1 text of the raw bytes: this cannot fail.
    return header[len(_BEARER) :].strip().encode("latin-1", "replace")


def _in_networks(remote_addr: str | None, networks: tuple[IPNetwork, ...]) -> bool:
    if not remote_addr:
        return False
    try:
        address = ipaddress.ip_address(remote_addr)
    except ValueError:  # a Unix socket path, say
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in networks)
