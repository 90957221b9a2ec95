"""Health check for load balancers and monitoring. Says nothing about any person.

Healthy means the database answers *and* at least one worker wrote a heartbeat within
`WORKER_STALE_SECONDS`: without a worker no alert email, text or webhook goes out, so a monitor must
hear about it (docs/deploy.md).
"""

from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Max
from django.http import JsonResponse
from django.utils import timezone

from circles.worker.models import WorkerHeartbeat


def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except Exception:  # noqa: BLE001 — any database failure means "not healthy"
        database = "unavailable"
    workers, newest_age = 0, None
    if database == "ok":
        now = timezone.now()
        fresh = now - timedelta(seconds=settings.WORKER_STALE_SECONDS)
        workers = WorkerHeartbeat.objects.filter(last_seen_at__gte=fresh).count()
        newest = WorkerHeartbeat.objects.aggregate(newest=Max("last_seen_at"))["newest"]
        if newest is not None:  # how long ago the freshest worker was last heard from (None: never)
            newest_age = round(max((now - newest).total_seconds(), 0.0), 1)
    body = {"database": database, "workers": workers, "newest_heartbeat_seconds_ago": newest_age}
    return JsonResponse(body, status=200 if workers else 503)
