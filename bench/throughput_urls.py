"""The site's URLs plus the baseline of bench/checkin_throughput.py: a bare view that does one INSERT.

Loaded only through bench/throughput_settings.py; the site itself never has this view.
"""

import json

from django.db import connection
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from circles.urls import urlpatterns as site_urlpatterns

BARE_TABLE = "bench_bare_insert"  # made by the benchmark in its throwaway database


@csrf_exempt
def bare_insert(request):
    """The least a check-in could cost: read the JSON body, one INSERT, answer 201 with the new id."""
    body = json.loads(request.body)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {BARE_TABLE} (mood, craving, created_at) VALUES (%s, %s, now()) RETURNING id",  # noqa: S608 — a constant
            [body["mood"], body["craving"]],
        )
        (new_id,) = cursor.fetchone()
    return JsonResponse({"id": new_id}, status=201)


urlpatterns = [path("bench/bare-insert", bare_insert), *site_urlpatterns]
