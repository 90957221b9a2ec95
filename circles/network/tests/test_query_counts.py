"""Every list page and the health API run a fixed number of SQL queries, whatever the network's size."""

import datetime as dt
import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from circles.network.models import Commitment, Interaction, Tie
from circles.network.tests.factories import make_tie

RELATIONSHIPS = ["parent", "friend", "sponsor", "group", "counselor", "physician", "sibling", "peer"]


def grow_network(member, ties: int, interactions_per_tie: int = 4) -> None:
    rng = random.Random(ties)
    made = [
        make_tie(
            member,
            f"Person {i}",
            RELATIONSHIPS[i % len(RELATIONSHIPS)],
            circle=["inner", "middle", "outer"][i % 3],
            strain_flags=["conflict"] if i % 7 == 0 else [],
        )
        for i in range(ties)
    ]
    now = timezone.now()
    Interaction.objects.bulk_create(
        Interaction(
            member=member, tie=tie, kind="call", occurred_at=now - dt.timedelta(hours=rng.randint(1, 24 * 90))
        )
        for tie in made
        for _ in range(interactions_per_tie)
    )
    Commitment.objects.bulk_create(
        Commitment(
            member=member,
            tie=made[i],
            title=f"Commitment {i}",
            cadence="times_per_week",
            times_per_week=2,
            starts_on=timezone.localdate() - dt.timedelta(days=90),
        )
        for i in range(min(ties, 5))
    )


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


URLS = [
    "/network/",
    "/api/v1/network/health",
    "/network/ties/",
    "/network/contacts/",
    "/network/commitments/",
    "/api/v1/ties",
    "/api/v1/interactions",
    "/api/v1/commitments",
]


@pytest.mark.parametrize("url", URLS)
def test_query_count_is_the_same_at_10_and_500_ties(riley, mallory, client_for, url):
    grow_network(riley, 10)
    grow_network(mallory, 500)
    small = count_queries(client_for(riley), url)
    large = count_queries(client_for(mallory), url)
    assert small == large, f"{url}: {small} queries at 10 ties, {large} at 500"
    # Reminders, the latest MSPSS and BARC-10, and the nav asking whether to show "People I support".
    assert large <= 15


def test_tie_detail_is_bounded(riley, client_for):
    grow_network(riley, 3, interactions_per_tie=40)
    tie = Tie.objects.filter(member=riley).first()
    assert count_queries(client_for(riley), f"/network/ties/{tie.pk}/") <= 10
