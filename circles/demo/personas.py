"""The people of the demo and of the tests, defined once."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Persona:
    key: str
    display_name: str
    roles: tuple[str, ...]
    description: str
    timezone: str = "America/New_York"

    @property
    def email(self) -> str:
        return f"{self.key}@example.org"


PERSONAS = (
    Persona(
        "riley",
        "Riley",
        ("member",),
        "member: a person in recovery, with a mapped circle and 8 weeks of check-ins",
    ),
    Persona("sam", "Sam", ("supporter",), "supporter: Riley's sponsor, first on Riley's crisis ladder"),
    Persona("jamie", "Jamie", ("supporter",), "supporter: Riley's peer mentor, second on the ladder"),
    Persona(
        "casey",
        "Casey",
        ("professional",),
        "counselor and clinical supervisor at Harbor Recovery Center: her caseload ranks Riley and 18 more",
    ),
    Persona(
        "drew",
        "Drew",
        ("professional",),
        "peer recovery specialist at Harbor Recovery Center, on the care team of Riley and 9 more",
    ),
    Persona(
        "olivia",
        "Olivia",
        ("org_admin",),
        "administrator of Harbor Recovery Center: its staff, enrolled members and consents",
    ),
    Persona("mallory", "Mallory", ("member",), "an outsider with a circle of their own"),
)
PERSONA_BY_KEY = {persona.key: persona for persona in PERSONAS}
