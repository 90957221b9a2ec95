"""Prints a new VAPID key pair for Web Push, as lines for the environment (docs/deploy.md, "VAPID keys")."""

from django.core.management.base import BaseCommand

from circles.lib.vapid import make_vapid_keys


class Command(BaseCommand):
    help = "Print a new VAPID key pair for Web Push (VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--subject",
            default="mailto:you@example.org",
            help="How a push service can reach whoever runs this site (mailto: or https:).",
        )

    def handle(self, *args, **options):
        public, private = make_vapid_keys()
        self.stdout.write(f"VAPID_PUBLIC_KEY={public}")
        self.stdout.write(f"VAPID_PRIVATE_KEY={private}")
        self.stdout.write(f"VAPID_SUBJECT={options['subject']}")
        self.stderr.write(
            "Keep VAPID_PRIVATE_KEY secret. Changing the pair later means everyone must turn "
            "notifications on again on each device."
        )
