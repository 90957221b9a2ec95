"""Health check for load balancers and monitoring. Says nothing about any person."""

from datetime import timedelta

from django.db import connection
from django.http import JsonResponse
from django.utils import timezone

from circles.worker.models import WorkerHeartbeat

STALE_AFTER = timedelta(minutes=2)


def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except Exception:  # noqa: BLE001 — any database failure means "not healthy"
        database = "unavailable"
    fresh = timezone.now() - STALE_AFTER
    workers = WorkerHeartbeat.objects.filter(last_seen_at__gte=fresh).count() if database == "ok" else 0
    status = 200 if database == "ok" else 503
    return JsonResponse({"database": database, "workers": workers}, status=status)
