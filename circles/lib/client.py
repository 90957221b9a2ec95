"""The client's network address, for login throttling (and, later, consent signatures and audit)."""

from django.conf import settings


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
