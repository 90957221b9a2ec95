"""`manage.py check` error for field-encryption keys that cannot be used, so a typo stops a deploy
(`migrate` runs the checks) instead of the first saved check-in."""

from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from circles.lib.encryption import keyring


@checks.register()
def check_encryption_keys(app_configs, **kwargs):
    try:
        keyring()
    except ImproperlyConfigured as error:
        return [
            checks.Error(
                str(error),
                hint="FIELD_ENCRYPTION_KEYS is a comma-separated list of Fernet keys, newest first "
                "(docs/deploy.md, Keys).",
                id="circles.E140",
            )
        ]
    return []
