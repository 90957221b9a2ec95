"""`python manage.py demo_totp casey@example.org`: the code a demo person's authenticator app shows now.

For signing in as the demo's professionals or organization administrator without a phone. Refuses to
run under production settings, and knows only the demo's fixed secrets.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from circles.accounts.models import User
from circles.demo.twofactor import DEMO_TOTP_SECRETS, current_code


class Command(BaseCommand):
    help = "Prints the current two-factor code of a demo user (casey@, drew@ or olivia@example.org)."

    def add_arguments(self, parser):
        parser.add_argument("email", choices=sorted(DEMO_TOTP_SECRETS))

    def handle(self, *args, email: str, **options):
        if settings.PRODUCTION:
            raise CommandError(
                "Demo codes are never given under production settings (CIRCLES_ENV=production)."
            )
        user = User.objects.filter(email=email).first()
        if user is None or not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            raise CommandError(f"{email} has no demo authenticator yet: run `python manage.py demo` first.")
        self.stdout.write(current_code(user))
