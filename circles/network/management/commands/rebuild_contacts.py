"""`manage.py rebuild_contacts`: counts the contact rollup again from the contact log."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from circles.network import rollup
from circles.network.models import Tie


class Command(BaseCommand):
    help = (
        "Count every member's contacts per tie and week, and each tie's latest contact, again from the "
        "contact log (circles/network/rollup.py), in each member's time zone. Safe to run at any time: "
        "each member is counted in one transaction, and the pages keep working meanwhile."
    )

    def add_arguments(self, parser):
        parser.add_argument("--member", type=int, metavar="ID", help="Only this member (account number).")

    def handle(self, *args, member: int | None, **options):
        if member is not None:
            person = get_user_model().objects.filter(pk=member).first()
            if person is None:
                raise CommandError(f"No account has the number {member}.")
            people = [person]
        else:
            people = list(
                get_user_model().objects.filter(pk__in=Tie.objects.values("member_id")).order_by("pk")
            )
        ties = 0
        for person in people:
            ties += rollup.rebuild_member(person)
        self.stdout.write(f"Counted again: {ties} ties of {len(people)} members.")
