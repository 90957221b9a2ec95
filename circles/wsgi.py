"""WSGI entry point (gunicorn circles.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "circles.settings")
application = get_wsgi_application()
