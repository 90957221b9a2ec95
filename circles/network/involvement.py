"""Which sides of a circle a person is on: a circle of their own, other people's circles, or both; whether
they are enrolled with an organization, and their roles (staff of an organization hold "professional" or
"org_admin", which circles/care grants when it adds them: network never imports care).

The header's menus (circles/menus.py) and the pages that greet a person ask this, so a supporter who has
no circle of their own is never handed a member's prompts (a check-in, a questionnaire that is due).
"""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef

from circles.accounts.models import Role, User
from circles.network.models import Tie, TieStatus


@dataclass(frozen=True)
class Involvement:
    has_circle: bool  # at least one tie of their own, ended ones included (their history is theirs)
    supports: bool  # linked as the supporter of someone's current tie
    role_kinds: frozenset[str]

    @property
    def supports_only(self) -> bool:
        """Supports someone and has no circle of their own: a supporter's home, not a member's."""
        return self.supports and not self.has_circle

    @property
    def is_staff_member(self) -> bool:
        """Works for an organization: adding staff grants these roles (circles/care, do_add_staff)."""
        return bool(self.role_kinds & STAFF_ROLE_KINDS)

    @property
    def is_org_admin(self) -> bool:
        return Role.Kind.ORG_ADMIN in self.role_kinds


STAFF_ROLE_KINDS = frozenset({Role.Kind.PROFESSIONAL.value, Role.Kind.ORG_ADMIN.value})

NOBODY = Involvement(has_circle=False, supports=False, role_kinds=frozenset())


def load_involvement(user) -> Involvement:
    """One query, whatever the number of ties or roles."""
    if not user.is_authenticated:
        return NOBODY
    roles = {
        f"role_{kind}": Exists(Role.objects.filter(user=OuterRef("pk"), kind=kind))
        for kind in Role.Kind.values
    }
    row = (
        User.objects.filter(pk=user.pk)
        .annotate(
            has_circle=Exists(Tie.objects.filter(member=OuterRef("pk"))),
            supports=Exists(Tie.objects.filter(supporter=OuterRef("pk")).exclude(status=TieStatus.ENDED)),
            **roles,
        )
        .values("has_circle", "supports", *roles)
        .first()
    )
    if row is None:
        return NOBODY
    return Involvement(
        has_circle=row["has_circle"],
        supports=row["supports"],
        role_kinds=frozenset(kind for kind in Role.Kind.values if row[f"role_{kind}"]),
    )
