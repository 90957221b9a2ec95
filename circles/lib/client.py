"""The client's network address, for login throttling, consent signatures and the audit trail."""

import contextvars
import ipaddress

from django.conf import settings

# Set for each request by RequestAddressMiddleware, so the audit trail can record where a request
# came from without every function passing the request along.
_current_address: contextvars.ContextVar[str] = contextvars.ContextVar("client_address", default="")


def current_client_address() -> str:
    """The address of the request being served ("" outside a request)."""
    return _current_address.get()


class RequestAddressMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current_address.set(client_address(request))
        try:
            return self.get_response(request)
        finally:
            _current_address.reset(token)


def client_address(request) -> str:
    """REMOTE_ADDR, or, behind TRUSTED_PROXY_COUNT reverse proxies, the address the outermost one saw.

    Only the entries our own proxies appended to X-Forwarded-For are trusted; anything further left
    was written by the client and could be forged.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [
            part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def address_group(address: str) -> str:
    """The unit a limit counts by: an IPv4 address, or the /64 network of an IPv6 one.

    One IPv6 connection usually has a whole /64 to itself, so counting single addresses would let it
    take a fresh address for every try.
    """
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False).network_address)
    return str(parsed)


def client_address_group(request) -> str:
    """client_address() counted as address_group(): what login lock-out and rate limits count by."""
    return address_group(client_address(request))
