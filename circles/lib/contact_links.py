"""The direct ways to reach someone from the phone number and email a member saved on a tie.

Pure: plain values in, links out. The alert page (a ladder whose sending is delayed) and the check-in
page (a hard day) both offer them, so they are built here, below both apps.
"""

from dataclasses import dataclass
from urllib.parse import quote


def dialable(phone: str) -> str:
    """A phone number as typed ("+1 (555) 010-0199") to what SMS providers take: "+" and digits."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if not digits:
        return ""
    return ("+" if phone.strip().startswith(("+", "00")) else "") + digits.removeprefix(
        "00" if phone.strip().startswith("00") else ""
    )


@dataclass(frozen=True)
class DirectContact:
    """Someone in the member's circle and the ways to reach them the member saved on the tie."""

    name: str
    phone: str  # as the member typed it; empty when it holds no digits to dial
    call_href: str
    text_href: str
    email: str
    email_href: str
    tie_id: int


def direct_contact(tie_id: int, name: str, phone: str, email: str) -> DirectContact:
    """The tel:, sms: and mailto: links for the phone number and email saved on a tie (empty: none)."""
    number = dialable(phone)
    return DirectContact(
        name=name,
        phone=phone.strip() if number else "",
        call_href=f"tel:{number}" if number else "",
        text_href=f"sms:{number}" if number else "",
        email=email,
        email_href=f"mailto:{quote(email, safe='@+')}" if email else "",
        tie_id=tie_id,
    )
