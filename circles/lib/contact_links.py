"""The direct ways to reach someone: tel:, sms: and mailto: links from a phone number and an email.

Pure: plain values in, links out. The alert page (a ladder whose sending is delayed) and the check-in
page (a hard day) offer the ties a member saved; a supporter's pages offer the member's own number when
the member shares "How to reach me" (circles/sharing). All are built here, below those apps.
"""

from dataclasses import dataclass
from urllib.parse import quote

# The ways to reach someone, as a member states their preference (stored: never rename one).
CALL, TEXT, EMAIL = "call", "text", "email"
WAYS = (CALL, TEXT, EMAIL)
DIGITS = frozenset("0123456789")  # ASCII only: str.isdigit() also takes "٣" or "³", which no one can dial
PHONE_CHARACTERS = DIGITS | frozenset("+-() .")


def is_phone_number(phone: str) -> bool:
    """The one rule for a phone number (a tie's, network Tie.clean; a member's own, sharing
    ReachDetails.clean): ASCII digits, spaces and + - ( ) . only, with at least one digit to dial."""
    return all(ch in PHONE_CHARACTERS for ch in phone) and any(ch in DIGITS for ch in phone)


def dialable(phone: str) -> str:
    """A phone number as typed ("+1 (555) 010-0199") to what SMS providers take: "+" and digits.

    Empty when it does not follow the rule (a number saved before the rule, or by a way round it): such
    a number gets no link and no text message, rather than a link to some other number.
    """
    phone = phone.strip()
    if not is_phone_number(phone):
        return ""
    digits = "".join(ch for ch in phone if ch in DIGITS)
    return ("+" if phone.startswith(("+", "00")) else "") + digits.removeprefix(
        "00" if phone.startswith("00") else ""
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


def call_href(phone: str) -> str:
    number = dialable(phone)
    return f"tel:{number}" if number else ""


def text_href(phone: str) -> str:
    number = dialable(phone)
    return f"sms:{number}" if number else ""


def email_href(email: str) -> str:
    return f"mailto:{quote(email, safe='@+')}" if email else ""


@dataclass(frozen=True)
class ContactLink:
    way: str  # CALL, TEXT or EMAIL
    href: str


def contact_links(phone: str, email: str, preferred: str = "") -> list[ContactLink]:
    """Every way there is to reach someone, the way they prefer first, then call, text, email."""
    hrefs = {CALL: call_href(phone), TEXT: text_href(phone), EMAIL: email_href(email)}
    order = sorted(WAYS, key=lambda way: way != preferred)  # stable: the rest keep their order
    return [ContactLink(way, hrefs[way]) for way in order if hrefs[way]]


def direct_contact(tie_id: int, name: str, phone: str, email: str) -> DirectContact:
    """The tel:, sms: and mailto: links for the phone number and email saved on a tie (empty: none)."""
    number = dialable(phone)
    return DirectContact(
        name=name,
        phone=phone.strip() if number else "",
        call_href=call_href(phone),
        text_href=text_href(phone),
        email=email,
        email_href=email_href(email),
        tie_id=tie_id,
    )
