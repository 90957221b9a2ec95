"""Sharing with a supporter, in two browsers: Riley invites Sam by email, Sam accepts on a phone, sees only
what Riley's consent allows, and nothing once Riley stops sharing."""

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from circles.checkins.tests.factories import answers_at, complete, make_checkin
from circles.lib.time import local_today
from circles.network.models import Interaction, InteractionKind
from circles.network.tests.factories import make_tie
from circles.tests_browser.conftest import open_menu
from conftest import PASSWORD

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
STRUGGLE = "The anniversary of Dad's death is coming up."
ENCOURAGEMENT = "Thinking of you. Coffee on Saturday?"
# Riley's last seven check-ins: (days ago, mood, craving, stress). Today's is the newest.
CHECKINS = [(6, 5, 4, 6), (5, 6, 3, 5), (4, 6, 3, 5), (3, 7, 2, 4), (2, 7, 2, 4), (1, 8, 1, 3), (0, 6, 3, 5)]


@pytest.fixture
def riley_with_data(riley):
    """Riley with Sam (their sponsor, not yet invited) and Mum in the circle, a week of check-ins, a PHQ-9,
    and today's struggle addressed to Mum only."""
    sam_tie = make_tie(riley, "Sam", "sponsor", email="sam@example.org")
    mum_tie = make_tie(riley, "Mum", "parent")
    today = local_today(riley)
    for days_ago, mood, craving, stress in CHECKINS:
        checkin = make_checkin(
            riley, today - dt.timedelta(days=days_ago), mood=mood, craving=craving, stress=stress
        )
    checkin.struggling = STRUGGLE
    checkin.save(update_fields=["struggling"])
    checkin.struggling_for.set([mum_tie])
    complete(riley, "phq9", answers_at("phq9", 1))
    return riley, sam_tie


@pytest.fixture
def desktop_page(browser, live_server):
    """A second browser, desktop-sized, with its own cookies; yields (page, its off-site requests)."""
    context = browser.new_context(
        base_url=live_server.url, viewport=DESKTOP, locale="en-US", timezone_id="America/New_York"
    )
    context.set_default_timeout(10_000)
    ours = urlsplit(live_server.url).netloc
    offsite: list[str] = []

    def record(request):
        url = urlsplit(request.url)
        if url.scheme not in {"data", "blob", "about"} and url.netloc != ours:
            offsite.append(request.url)

    context.on("request", record)
    yield context.new_page(), offsite
    context.close()


def log_in(page, email):
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def expect_message(page, text):
    expect(page.locator(".messages")).to_contain_text(text)


def riley_card(page):
    return page.get_by_role("listitem").filter(has=page.get_by_role("heading", name="Riley"))


def test_invite_accept_share_mood_then_revoke(
    page, desktop_page, riley_with_data, sam, mailoutbox, offsite_requests
):
    riley, sam_tie = riley_with_data
    member, member_offsite = desktop_page  # Riley at a desktop; Sam (the `page` fixture) on a phone
    sharing_url = f"/sharing/ties/{sam_tie.pk}/"

    # Riley invites Sam by email.
    member.goto("/accounts/login/")
    log_in(member, "riley@example.org")
    expect(member.get_by_role("heading", level=1)).to_have_text("Riley's circle")
    open_menu(member).get_by_role("link", name="Sharing").click()
    expect(member.get_by_role("heading", level=1)).to_have_text("Sharing")
    member.get_by_role("link", name="Choose what they see — Sam").click()
    expect(member).to_have_url(re.compile(rf"{sharing_url}$"))
    expect(member.get_by_text("Once Sam has joined with the invitation above")).to_be_visible()
    expect(member.get_by_role("button", name="Sign and save")).to_have_count(0)
    expect(member.get_by_label("Their email address")).to_have_value("sam@example.org")
    member.get_by_role("button", name="Send invitation").click()
    expect_message(member, "Invitation sent to sam@example.org.")
    assert [mail.to for mail in mailoutbox] == [["sam@example.org"]]
    assert "Riley invited you to Circles" in mailoutbox[0].subject
    links = re.findall(r"https?://\S+/invitation/[^/\s]+/", mailoutbox[0].body)
    assert len(links) == 1
    link = urlsplit(links[0]).path

    # Sam opens the link on a phone, signed out, and logs in with the account they already have.
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Riley invited you to Circles")
    expect(page.get_by_role("link", name="Create an account")).to_be_visible()
    page.get_by_role("link", name="I already have an account").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/invitation/"))
    log_in(page, "sam@example.org")
    expect(page).to_have_url(re.compile(rf"{re.escape(link)}$"))
    page.get_by_role("button", name="Accept as Sam").click()
    expect(page).to_have_url(re.compile(r"/supporting/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("People you support")
    expect_message(page, "You now support Riley in Circles.")
    expect(riley_card(page)).to_contain_text("Riley is not sharing anything with you right now.")
    sam_tie.refresh_from_db()
    assert sam_tie.supporter == sam

    # Riley shares only mood, craving and stress, and signs.
    member.reload()
    expect(member.get_by_text("Linked to Sam (sam@example.org)")).to_be_visible()
    expect(member.get_by_text("Nothing is shared with them right now.")).to_be_visible()
    ticked = member.locator("input[name=scopes]:checked")
    expect(member.locator("input[name=scopes]")).not_to_have_count(0)
    expect(ticked).to_have_count(0)
    member.get_by_label("My mood, craving and stress").check()
    expect(member.get_by_label("Why you share it")).not_to_have_value("")
    member.get_by_label("Type your full name to sign").fill("Riley Example")
    member.get_by_role("button", name="Sign and save").click()
    expect_message(member, "Saved. Sam sees what you chose from now on.")
    expect(ticked).to_have_count(1)
    expect(member.locator("input[name=scopes][value=mood]")).to_be_checked()

    # Sam sees the mood figures (last seven check-ins), the notice, and nothing else.
    page.reload()
    card = riley_card(page)
    notice = page.get_by_role("complementary", name="Confidentiality notice")
    expect(notice).to_contain_text("42 CFR part 2 prohibits unauthorized use or disclosure of these records.")
    full_notice = notice.get_by_role("link", name="Read the full notice")
    expect(full_notice).to_have_attribute("href", "/supporting/notice/")
    expect(card).to_contain_text("Mood, craving and stress (last 7 check-ins, 0–10)")
    expect(card).to_contain_text("Mood 6.4, craving 2.6, stress 4.6")
    for hidden in ["not sharing anything", "Checked in today", STRUGGLE, "struggling", "PHQ-9", "Depression"]:
        expect(card).not_to_contain_text(hidden)

    card.get_by_role("link", name="Riley", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/supporting/{riley.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Riley")
    expect(notice).to_be_visible()
    table = page.get_by_role("table", name="Each check-in, newest first (0–10)")
    expect(table.locator("tbody tr")).to_have_count(len(CHECKINS))
    expect(table.locator("tbody tr").first.get_by_role("cell")).to_have_text(["6", "3", "5"])
    expect(page.get_by_role("heading", name="How you can help, as a sponsor")).to_be_visible()
    shared = page.get_by_role("region", name="What Riley shares with you")
    for hidden in ["Checked in today", STRUGGLE, "struggling", "PHQ-9", "network map"]:
        expect(shared).not_to_contain_text(hidden)
    expect(page.locator("svg.network-map")).to_have_count(0)

    # Sam's encouragement lands in Riley's contact log.
    page.get_by_label("Send a few words of encouragement").fill(ENCOURAGEMENT)
    page.get_by_role("button", name="Send", exact=True).click()
    expect_message(page, "Sent. Riley will see it in their contact log.")
    open_menu(member).get_by_role("link", name="Contact log").click()
    expect(member.locator("tbody tr")).to_have_count(1)
    expect(member.locator("tbody tr")).to_contain_text(re.compile(r"Sam\s+Encouragement in Circles"))
    expect(member.locator("tbody tr q")).to_have_text(ENCOURAGEMENT)
    sent = Interaction.objects.get(member=riley)
    assert (sent.kind, sent.tie, sent.sent_by, sent.message) == (
        InteractionKind.ENCOURAGEMENT,
        sam_tie,
        sam,
        ENCOURAGEMENT,
    )

    # Riley's access history names Sam's reads.
    member.goto("/sharing/access/")
    history = member.get_by_role("table", name="Access to your information, newest first")
    expect(history).to_contain_text(re.compile(r"Sam\s+My mood, craving and stress\s+Allowed"))
    expect(history).to_contain_text(re.compile(r"Sam\s+Sent you encouragement\s+Allowed"))

    # Riley stops sharing everything; on Sam's next visit nothing is shown.
    member.goto(sharing_url)
    member.get_by_role("button", name="Stop sharing everything").click()
    expect_message(member, "You no longer share anything with Sam.")
    expect(member.get_by_text("Nothing is shared with them right now.")).to_be_visible()
    expect(member.get_by_role("button", name="Stop sharing everything")).to_have_count(0)

    page.reload()
    expect(page.get_by_role("region", name="What Riley shares with you")).to_contain_text(
        "Riley is not sharing anything with you right now."
    )
    expect(page.get_by_role("table", name="Each check-in, newest first (0–10)")).to_have_count(0)
    expect(page.locator(".notice")).to_have_count(0)
    page.get_by_role("link", name="People you support").click()
    expect(riley_card(page)).to_contain_text("Riley is not sharing anything with you right now.")
    expect(riley_card(page)).not_to_contain_text("Mood 6.4")

    assert offsite_requests == []
    assert member_offsite == []
