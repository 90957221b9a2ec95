"""WSGI entry point (gunicorn circles.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

from circles.lib.heap import freeze_loaded_objects

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "circles.settings")
application = get_wsgi_application()
# The loaded app lives as long as the process: keep the garbage collector's full passes off it.
freeze_loaded_objects()
