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
    Persona("casey", "Casey", ("professional",), "professional: a counselor"),
    Persona("olivia", "Olivia", ("org_admin",), "organization administrator (signs in with a second factor)"),
    Persona("mallory", "Mallory", ("member",), "an outsider with a circle of their own"),
)
PERSONA_BY_KEY = {persona.key: persona for persona in PERSONAS}
