"""`manage.py check` errors for audit keys that cannot be used, and a deploy warning for a checkpoint file
that cannot be written."""

import os
from pathlib import Path

from django.conf import settings
from django.core import checks

from circles.audit import logic


@checks.register()
def check_audit_keys(app_configs, **kwargs):
    try:
        logic.parse_keys(settings.AUDIT_HMAC_KEYS)
    except ValueError as error:
        return [
            checks.Error(
                str(error),
                hint="AUDIT_HMAC_KEYS is a comma-separated list of id:secret, newest first "
                "(docs/deploy.md, Audit trail).",
                id="circles.E130",
            )
        ]
    return []


@checks.register(checks.Tags.security, deploy=True)
def check_audit_checkpoint_path(app_configs, **kwargs):
    path = settings.AUDIT_CHECKPOINT_PATH
    if path == "log":
        return []
    folder = Path(path).parent
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        return [
            checks.Warning(
                f"Audit checkpoints cannot be written to {path}: its folder is missing or not writable.",
                hint="Point AUDIT_CHECKPOINT_PATH at a writable file outside the database's reach, or set "
                "it to 'log' to send checkpoints to the log.",
                id="circles.W130",
            )
        ]
    return []
