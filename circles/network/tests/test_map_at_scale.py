"""A circle of 500 people: the page stays small, the map legible, and every tie is in the paged table."""

import datetime as dt
import re

from django.utils import timezone

from circles.network import drawing, logic
from circles.network.models import Interaction, Tie

RELATIONSHIPS = ["friend", "coworker", "sibling", "peer", "group", "sponsor", "counselor", "physician"]


def grow_large_circle(member, ties: int) -> list[Tie]:
    """Ties in every circle and pillar, made in bulk (as an import would), each with a contact."""
    made = Tie.objects.bulk_create(
        Tie(
            member=member,
            display_name=f"Person number {i}",
            relationship=RELATIONSHIPS[i % len(RELATIONSHIPS)],
            pillar=logic.pillar_for_relationship(RELATIONSHIPS[i % len(RELATIONSHIPS)]),
            circle="inner" if i < 10 else "middle" if i % 12 == 1 else "outer",  # 10, 41, 449
            stance=["supports_recovery", "neutral", "supports_use"][i % 3],
            strain_flags=["conflict"] if i % 9 == 0 else [],
        )
        for i in range(ties)
    )
    now = timezone.now()
    Interaction.objects.bulk_create(
        Interaction(member=member, tie=tie, kind="call", occurred_at=now - dt.timedelta(days=i % 40))
        for i, tie in enumerate(made)
    )
    return made


def entries_for(circles: dict[str, int]) -> list[drawing.MapEntry]:
    facts: list[logic.TieFacts] = []
    for circle, count in circles.items():
        for i in range(count):
            pillar = logic.PILLARS[i % 3]
            facts.append(
                logic.TieFacts(
                    id=len(facts) + 1,
                    name=f"{circle} {i}",
                    pillar=pillar,
                    circle=circle,
                    status="active",
                    contact_frequency="weekly",
                    importance=3,
                    substance_use="unknown",
                    stance="neutral",
                    quality=3,
                )
            )
    return drawing.map_entries(facts)


def test_the_map_draws_whole_circles_innermost_first_and_counts_the_rest():
    drawn, counted = drawing.drawn_and_summarised(entries_for({"inner": 12, "middle": 24, "outer": 300}))
    assert {entry.tie.circle for entry in drawn} == {"inner", "middle"} and len(drawn) == 36
    assert counted == {
        ("outer", "family_friends"): 100,
        ("outer", "professional"): 100,
        ("outer", "peer"): 100,
    }

    # Each pillar of an inner circle of 70 would need eight rows: counted. The middle one still fits.
    drawn, counted = drawing.drawn_and_summarised(entries_for({"inner": 70, "middle": 5}))
    assert [entry.tie.circle for entry in drawn] == ["middle"] * 5
    assert {key: count for key, count in counted.items()} == {
        ("inner", "family_friends"): 24,
        ("inner", "professional"): 23,
        ("inner", "peer"): 23,
    }

    small = entries_for({"inner": 5, "middle": 20, "outer": 35})
    drawn, counted = drawing.drawn_and_summarised(small)
    assert counted == {} and sorted(e.tie.id for e in drawn) == sorted(e.tie.id for e in small)  # all 60


def test_names_go_where_there_is_room_for_them():
    entries = entries_for({"inner": 2, "middle": 18, "outer": 3})
    places = drawing.layout([entry.tie for entry in entries])
    labels = {entry.tie.name: places[entry.tie.id].label for entry in entries}
    assert labels["inner 0"] == labels["outer 0"] == "below"  # alone in their pillar's part of the band
    # Six in a row in the middle band's pillar: room for every second name under, the others over.
    family = sorted(labels[f"middle {i}"] for i in range(0, 18, 3))
    assert family == ["above"] * 3 + ["below"] * 3
    crowded = entries_for({"middle": 60})  # twenty per pillar: three rows, no room for names
    assert {place.label for place in drawing.layout([e.tie for e in crowded]).values()} == {""}


def test_the_page_at_500_ties_stays_small_and_pages_its_table(riley, client_for):
    grow_large_circle(riley, 500)
    client = client_for(riley)
    html = client.get("/network/").content.decode()
    assert len(html.encode()) < 100_000, f"{len(html.encode())} bytes"
    svg = re.search(r'<svg[^>]*class="network-map".*?</svg>', html, re.S).group(0)
    marks = re.findall(r'<a href="/network/ties/\d+/"', svg)
    assert 0 < len(marks) <= drawing.MAP_MARKS
    assert (
        "Outer circle, family &amp; friends: " in svg and "people, listed in the table below the map" in svg
    )
    # Names are shown only where they have room: never more names than marks.
    assert svg.count('font-size="14"') <= len(marks)
    table = html[html.index('id="map-table"') :]
    assert "(1–50 of 500)" in table and table.count('<tr><td><a href="/network/ties/') == 50
    assert 'href="?page=2#map-table"' in table and " open>" not in html[html.index('id="map-table"') :][:60]

    second = client.get("/network/?page=2").content.decode()
    assert 'id="map-table" open' in second and "(51–100 of 500)" in second
    assert 'href="?page=1#map-table"' in second and 'href="?page=3#map-table"' in second
    # A page number that is not one still shows the page.
    for odd in ("abc", "0", "99999", "-1", "1e9"):
        assert client.get(f"/network/?page={odd}").status_code == 200
