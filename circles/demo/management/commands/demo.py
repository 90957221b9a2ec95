"""`python manage.py demo`: demo users for every persona and a realistic circle for Riley.

Idempotent: users are created or refreshed; Riley's circle is built once (use --reset to rebuild it
around today's date). Refuses to run under production settings.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from circles.demo.data import build_demo


class Command(BaseCommand):
    help = "Creates demo users (<persona>@example.org) and Riley's demo support network."

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="Rebuild Riley's circle around today.")

    def handle(self, *args, reset=False, **options):
        if settings.PRODUCTION:
            raise CommandError(
                "Demo users are never created under production settings (CIRCLES_ENV=production)."
            )
        with transaction.atomic():
            summary = build_demo(password=settings.CIRCLES_DEMO_PASSWORD, reset=reset)
        self.stdout.write(self.style.SUCCESS(summary))
