"""The header's menus by what a person does (circles/menus.py), the home they lead to, and the switch."""

import re

import pytest

from circles import menus
from circles.accounts.tests.test_account_security import log_in
from circles.care.actions import do_add_staff
from circles.care.models import StaffRole
from circles.care.tests.factories import enrol, make_organization
from circles.network.involvement import Involvement, load_involvement
from circles.network.models import TieStatus
from circles.network.tests.factories import make_tie
from circles.network.tests.test_tie_views import VALID as TIE
from conftest import PASSWORD

MEMBER_ONLY = Involvement(has_circle=True, supports=False, role_kinds=frozenset({"member"}))
SUPPORTER_ONLY = Involvement(has_circle=False, supports=True, role_kinds=frozenset({"supporter"}))
BOTH = Involvement(has_circle=True, supports=True, role_kinds=frozenset({"member", "supporter"}))
NEW_MEMBER = Involvement(has_circle=False, supports=False, role_kinds=frozenset({"member"}))
MEMBER_PROMPTS = {"My circle", "Check in", "Questionnaires", "Progress"}


def labels(menu) -> list[str]:
    return [entry.label for entry in menu.entries]


def test_a_member_gets_the_member_menu_and_no_switch():
    menu = menus.build_menu(MEMBER_ONLY, None, "checkins:trajectory")
    assert menu.mode == "member" and menu.switch == []
    assert labels(menu) == [
        "My circle",
        "Check in",
        "Questionnaires",
        "Progress",
        "People",
        "Contact log",
        "Commitments",
        "My care",
        "Alerts",
        "Sharing",
        "Settings",
    ]
    assert [entry.label for entry in menu.entries if entry.current] == ["Progress"]
    assert [entry.label for entry in menu.inline_entries] == [
        "My circle",
        "Check in",
        "Questionnaires",
        "Progress",
    ]
    # A new member with nobody in their circle yet gets it too.
    assert menus.build_menu(NEW_MEMBER, None, "").mode == "member"


def test_someone_who_only_supports_others_gets_no_member_prompts():
    menu = menus.build_menu(SUPPORTER_ONLY, "member", "sharing:supported_member")  # a stale choice is ignored
    assert menu.mode == "supporter" and menu.switch == []
    assert labels(menu) == ["People I support", "Start my own circle", "Settings"]
    assert not MEMBER_PROMPTS & set(labels(menu))
    assert [entry.label for entry in menu.entries if entry.current] == ["People I support"]


def test_someone_in_both_switches_and_the_menu_shows_the_mode():
    member = menus.build_menu(BOTH, None, "network:overview")
    assert member.mode == "member"  # their own recovery first
    assert [(c.label, c.current) for c in member.switch] == [
        ("My recovery", True),
        ("People I support", False),
    ]
    assert "Start my own circle" not in labels(member) and "People I support" not in labels(member)
    supporter = menus.build_menu(BOTH, "supporter", "alerts:asked")
    assert supporter.mode == "supporter" and supporter.mode_label == "People I support"
    assert [(c.mode, c.current) for c in supporter.switch] == [("member", False), ("supporter", True)]
    assert labels(supporter) == ["People I support", "Settings"]
    assert [entry.label for entry in supporter.entries if entry.current] == ["People I support"]


def test_signed_out_the_menu_is_log_in_and_sign_up():
    menu = menus.build_menu(None, None, "accounts:login")
    assert not menu.signed_in and menu.mode is None and menu.switch == []
    assert [(e.label, e.current, e.inline) for e in menu.entries] == [
        ("Log in", True, True),
        ("Sign up", False, True),
    ]


@pytest.mark.parametrize(
    ("view_name", "current"),
    [
        ("network:overview", ["My circle"]),
        ("alerts:overview", ["Alerts"]),  # not "My circle" too, though both views are named "overview"
        ("alerts:ladder", ["Alerts"]),
        ("sharing:consent_history", ["Sharing"]),
        ("alerts:asked", []),  # a supporter's page: no member entry is current
        ("sharing:supporting", []),
        ("help_now", []),
        ("", []),
    ],
)
def test_which_member_entry_is_current(view_name, current):
    menu = menus.build_menu(MEMBER_ONLY, None, view_name)
    assert [entry.label for entry in menu.entries if entry.current] == current


def test_involvement_is_one_query(riley, sam, mallory, django_assert_num_queries):
    make_tie(riley, "Sam", supporter=sam)
    ended = make_tie(mallory, "Riley", supporter=riley)
    ended.status = TieStatus.ENDED
    ended.save(update_fields=["status"])
    with django_assert_num_queries(1):
        seen = load_involvement(riley)
    assert seen == Involvement(has_circle=True, supports=False, role_kinds=frozenset({"member"}))
    assert load_involvement(sam).supports_only
    make_tie(mallory, "Riley again", supporter=riley)
    assert load_involvement(riley) == Involvement(True, True, frozenset({"member"}))


def test_home_leads_to_the_home_of_the_mode(riley, sam, mallory, client, client_for):
    make_tie(riley, "Sam", supporter=sam)
    assert client.get("/").status_code == 200  # signed out: the welcome page
    assert client_for(riley).get("/")["Location"] == "/network/"
    assert client_for(mallory).get("/")["Location"] == "/network/"  # nobody yet: a member mapping theirs
    assert client_for(sam).get("/")["Location"] == "/supporting/"


def test_the_switch_is_remembered_for_the_session(riley, mallory, client_for):
    make_tie(riley, "Alex")
    make_tie(mallory, "Riley", supporter=riley)
    client = client_for(riley)
    assert client.get("/")["Location"] == "/network/"
    switched = client.post("/mode/", {"mode": "supporter"})
    assert switched.status_code == 302 and switched["Location"] == "/supporting/"
    assert client.get("/")["Location"] == "/supporting/"
    header = client.get("/accounts/settings/").content.decode()
    assert re.search(r'value="supporter"[^>]*aria-pressed="true"', header)
    assert ">Check in<" not in header
    assert client.post("/mode/", {"mode": "member"})["Location"] == "/network/"
    assert client.get("/")["Location"] == "/network/"


@pytest.mark.parametrize(
    ("persona", "member", "supporter"),
    [
        ("riley", 302, 400),  # her own circle, nobody to support
        ("sam", 400, 302),  # supports Riley, no circle of his own
        ("casey", 400, 400),  # professionals and administrators: their work, no circle of their own
        ("olivia", 400, 400),
        ("mallory", 302, 400),
    ],
)
def test_the_switch_offers_only_a_persons_own_modes(personas, client_for, persona, member, supporter):
    """The permission grid of /mode/: a mode that is not theirs is refused with 400, nothing remembered."""
    make_tie(personas["riley"], "Sam", supporter=personas["sam"])
    client = client_for(personas[persona])
    assert client.post("/mode/", {"mode": "member"}).status_code == member
    assert client.post("/mode/", {"mode": "supporter"}).status_code == supporter
    for refused in ({"mode": "administrator"}, {"mode": ""}, {}):
        assert client.post("/mode/", refused).status_code == 400
    assert client.get("/mode/").status_code == 405
    # Only what was accepted is remembered.
    remembered = "supporter" if supporter == 302 else "member" if member == 302 else None
    assert client.session.get(menus.SESSION_KEY) == remembered


def test_signed_out_the_switch_asks_to_log_in(client, db):
    assert client.post("/mode/", {"mode": "member"})["Location"].startswith("/accounts/login/")


def test_a_supporter_with_no_circle_never_lands_on_a_member_dashboard(riley, sam, client_for):
    make_tie(riley, "Sam", supporter=sam)
    client = client_for(sam)
    assert client.get("/network/")["Location"] == "/supporting/"
    page = client.get("/supporting/").content.decode()
    for prompt in ("Check in", "Questionnaires", "PHQ-9", "Due today"):
        assert prompt not in page, prompt
    assert 'href="/network/ties/new/"' in page  # their own circle is one step away


def header(html: str) -> str:
    return html[html.index('<header class="site-header">') : html.index("</header>")]


def test_help_now_and_log_out_stand_apart(riley, client_for):
    html = header(client_for(riley).get("/checkins/progress/").content.decode())
    menu = html[html.index('<details class="menu">') : html.index("</details>")]
    after_nav = html[html.index("</nav>") :]
    # Log out is the last thing in the menu, in its own form after the list of pages.
    assert "Log out" in menu and menu.rindex("Log out") > menu.rindex("</ul>")
    assert "I need help now" not in menu
    # "I need help now" stands in the header row itself, outside the menu: visible without opening it.
    assert re.search(r'<form method="post" action="/help-now/"[^>]*>.*I need help now', after_nav, re.S)
    assert "Log out" not in after_nav
    # The current page keeps aria-current, in the row and in the menu alike.
    assert html.count('<a href="/checkins/progress/" aria-current="page">Progress</a>') == 2


def test_signed_out_header(client, db):
    html = header(client.get("/accounts/signup/").content.decode())
    assert '<a href="/accounts/login/">Log in</a>' in html
    assert '<a href="/accounts/signup/" aria-current="page">Sign up</a>' in html
    assert 'href="/help-now/">Get help now</a>' in html
    assert "<details" not in html and "Log out" not in html


def test_start_my_own_circle_makes_both_modes_theirs(riley, sam, client_for):
    make_tie(riley, "Riley's sponsor", supporter=sam)
    client = client_for(sam)
    assert 'href="/network/ties/new/">Start my own circle</a>' in client.get("/supporting/").content.decode()
    assert client.get("/network/ties/new/").status_code == 200
    added = client.post("/network/ties/new/", {**TIE, "display_name": "Pat"})
    assert added.status_code == 302
    assert client.get("/")["Location"] == "/network/"  # their own recovery first, now that they have a circle
    header = client.get("/network/").content.decode()
    assert re.search(r'value="supporter"[^>]*aria-pressed="false"', header)
    assert "Start my own circle" not in header


# --- Staff of an organization (issue 15) ---------------------------------------------------------------

CASEY = Involvement(has_circle=False, supports=False, role_kinds=frozenset({"professional"}))
OLIVIA = Involvement(has_circle=False, supports=False, role_kinds=frozenset({"org_admin"}))
STAFF_MENU = ["Caseload", "Alerts", "Messages", "Sessions", "Settings"]


def test_staff_get_their_work_instead_of_a_members_prompts():
    menu = menus.build_menu(CASEY, None, "care:follow_up")
    assert menu.mode == "professional" and menu.switch == [] and menu.mode_label == "My work"
    assert labels(menu) == STAFF_MENU
    assert not MEMBER_PROMPTS & set(labels(menu))
    assert [entry.label for entry in menu.entries if entry.current] == ["Alerts"]
    assert [entry.label for entry in menu.inline_entries] == STAFF_MENU[:-1]
    both = Involvement(False, False, frozenset({"professional", "org_admin"}))
    assert labels(menus.build_menu(both, None, "")) == [*STAFF_MENU[:-1], "Organization", "Settings"]
    # An administrator who cares for nobody: their organization.
    assert labels(menus.build_menu(OLIVIA, None, "")) == ["Organization", "Settings"]


def test_staff_who_are_also_members_or_supporters_get_the_switch():
    member = Involvement(has_circle=True, supports=False, role_kinds=frozenset({"professional", "member"}))
    menu = menus.build_menu(member, None, "")
    assert menu.mode == "professional"  # their work first
    assert [(c.mode, c.current) for c in menu.switch] == [("professional", True), ("member", False)]
    assert labels(menus.build_menu(member, "member", ""))[0] == "My circle"
    supporter = Involvement(has_circle=False, supports=True, role_kinds=frozenset({"professional"}))
    assert menus.modes_for(supporter) == ["professional", "supporter"]
    # "Start my own circle" belongs to the supporter's menu only.
    assert "Start my own circle" not in labels(menus.build_menu(supporter, None, ""))
    assert "Start my own circle" in labels(menus.build_menu(supporter, "supporter", ""))


def test_every_member_finds_my_care():
    # Enrolled or not: a person not enrolled yet enters the code their care team gave them from there.
    for member in (MEMBER_ONLY,):
        names = labels(menus.build_menu(member, None, ""))
        assert names.index("My care") == names.index("Alerts") - 1


def test_involvement_knows_staff_in_one_query(riley, casey, olivia, django_assert_num_queries):
    harbor = make_organization(olivia, casey)
    enrol(riley, harbor)
    with django_assert_num_queries(1):
        seen = load_involvement(riley)
    assert not seen.is_staff_member
    assert load_involvement(casey).is_staff_member and not load_involvement(casey).is_org_admin
    assert load_involvement(olivia).is_org_admin


def test_home_leads_staff_to_their_work(riley, casey, olivia, client_for):
    make_organization(olivia, casey)
    assert client_for(casey).get("/")["Location"] == "/care/"
    assert client_for(olivia).get("/")["Location"] == "/care/organizations/"
    make_tie(casey, "Alex")  # Casey starts a circle of her own: both modes are hers
    client = client_for(casey)
    assert client.get("/")["Location"] == "/care/"
    assert client.post("/mode/", {"mode": "member"})["Location"] == "/network/"
    assert client.get("/")["Location"] == "/network/"
    assert client.post("/mode/", {"mode": "professional"})["Location"] == "/care/"


def test_a_person_made_staff_gets_short_sessions_and_must_set_up_two_factor(riley, mallory, client):
    """do_add_staff grants the role that the 15-minute idle sign-out and two-factor sign-in hang on."""
    harbor = make_organization(mallory)
    do_add_staff(harbor.organization, riley, role=StaffRole.PEER_SPECIALIST, acting_user=mallory)
    assert log_in(client, riley.email, PASSWORD).status_code == 302
    response = client.get("/care/alerts/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/settings/two-factor/")
    assert client.session.get_expiry_age() == 15 * 60
