"""The header's menus, by what a person does here, built in one place.

A person uses Circles in one or more *modes*: "member" (their own recovery and circle), "supporter"
(the people whose circles they are in) and "professional" (staff of an organization: the caseload, the
care team's alerts, messages and sessions; an administrator's organization). Each mode has one tuple of
entries in MENUS. Someone in two modes switches between them; the
choice is kept in the session and decides where "/" leads. The context processor `menu` gives every
template `menu`, built lazily (one query, only when a page draws the header).

This module names pages of every app, so it sits at the top of the stack beside the site's map, just
below circles/urls.py, which uses it for the home redirect and the switch (docs/architecture.md).

To add a mode: its entries in MENUS, its label in MODE_LABELS, its home in MODE_HOMES, and the rule
that offers it in `modes_for`.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from circles.network.involvement import Involvement, load_involvement

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

MEMBER = "member"
SUPPORTER = "supporter"
PROFESSIONAL = "professional"  # staff of an organization (circles/care), administrators included
SESSION_KEY = "circles_mode"

MODE_LABELS = {MEMBER: _("My recovery"), SUPPORTER: _("People I support"), PROFESSIONAL: _("My work")}
MODE_HOMES = {MEMBER: "network:overview", SUPPORTER: "sharing:supporting", PROFESSIONAL: "care:caseload"}
# An administrator who cares for nobody (no professional role) starts at their organizations.
ADMINISTRATOR_HOME = "care:organization_list"

# The pages a supporter opens about the people they support (the alerts asking them included).
SUPPORTER_PAGES = (
    "sharing:supporting",
    "sharing:supported_member",
    "sharing:encourage",
    "alerts:asked",
    "alerts:asked_answer",
    "alerts:answer",
)


@dataclass(frozen=True)
class Entry:
    """One link of a menu. `current_on`: the views where it is the current page ("app:*" for all of an
    app's views; the entry's own view when empty), less those in `not_on`. `inline`: on a wide screen it
    also stands in the header row."""

    url_name: str
    label: "StrOrPromise"  # gettext_lazy: translated when the menu is built for a request
    inline: bool = False
    current_on: tuple[str, ...] = ()
    not_on: tuple[str, ...] = ()

    def is_current(self, view_name: str) -> bool:
        if not view_name or view_name in self.not_on:
            return False
        patterns = self.current_on or (self.url_name,)
        namespace = view_name.rpartition(":")[0]
        return any(view_name == p or (p.endswith(":*") and p[:-2] == namespace) for p in patterns)


SETTINGS = Entry("accounts:settings", _("Settings"))
# The organizations a member is enrolled with: their care team, consent and messages (circles/care). Every
# member has it: a person not enrolled yet joins from there with the code their care team gave them.
MY_CARE = Entry("care:my_care", _("My care"))
# Staff who administer an organization: its programs, staff, enrolled members and consent records.
ORGANIZATION = Entry("care:organization_list", _("Organization"), inline=True)
# The care team's alert inbox and the alerts of a member's ladder that asked the care team.
CARE_ALERT_PAGES = ("care:inbox", "care:follow_up", "care:alert", "care:alert_answer")

MENUS: dict[str, tuple[Entry, ...]] = {
    MEMBER: (
        Entry("network:overview", _("My circle"), inline=True),
        Entry("checkins:today", _("Check in"), inline=True),
        Entry("checkins:measures", _("Questionnaires"), inline=True),
        Entry("checkins:trajectory", _("Progress"), inline=True),
        Entry("network:tie_list", _("People")),
        Entry("network:interaction_list", _("Contact log")),
        Entry("network:commitment_list", _("Commitments")),
        MY_CARE,
        Entry("alerts:overview", _("Alerts"), current_on=("alerts:*",), not_on=SUPPORTER_PAGES),
        Entry("sharing:overview", _("Sharing"), current_on=("sharing:*",), not_on=SUPPORTER_PAGES),
        SETTINGS,
    ),
    SUPPORTER: (
        Entry("sharing:supporting", _("People I support"), inline=True, current_on=SUPPORTER_PAGES),
        SETTINGS,
    ),
    PROFESSIONAL: (
        Entry("care:caseload", _("Caseload"), inline=True),
        Entry("care:inbox", _("Alerts"), inline=True, current_on=CARE_ALERT_PAGES),
        Entry("care:messages", _("Messages"), inline=True),
        Entry("care:sessions", _("Sessions"), inline=True),
        SETTINGS,
    ),
}

# For someone who only supports others: the way to a circle of their own (adding its first person),
# after which "My recovery" is offered beside "People I support".
START_OWN_CIRCLE = Entry("network:tie_create", _("Start my own circle"))

SIGNED_OUT = (
    Entry("accounts:login", _("Log in"), inline=True),
    Entry("accounts:signup", _("Sign up"), inline=True),
)


@dataclass(frozen=True)
class Link:
    url_name: str
    label: str
    current: bool
    inline: bool


@dataclass(frozen=True)
class ModeChoice:
    mode: str
    label: str
    current: bool


@dataclass(frozen=True)
class Menu:
    signed_in: bool
    mode: str | None
    switch: list[ModeChoice]  # empty unless the person has more than one mode
    entries: list[Link]

    @property
    def inline_entries(self) -> list[Link]:
        return [entry for entry in self.entries if entry.inline]

    @property
    def mode_label(self) -> str:
        return str(MODE_LABELS[self.mode]) if self.mode else ""


def modes_for(involvement: Involvement) -> list[str]:
    """The modes a person has, the one they start in first.

    Staff of an organization start in their work; then a circle of one's own; someone who is none of
    these yet is a member about to map theirs (everyone who signs up is).
    """
    modes = []
    if involvement.is_staff_member:
        modes.append(PROFESSIONAL)
    if involvement.has_circle or not (involvement.supports or involvement.is_staff_member):
        modes.append(MEMBER)
    if involvement.supports:
        modes.append(SUPPORTER)
    return modes


def current_mode(modes: list[str], chosen: str | None) -> str:
    return chosen if chosen in modes else modes[0]


def build_menu(involvement: Involvement | None, chosen: str | None, view_name: str) -> Menu:
    """The menu for a person (None: signed out) on the page `view_name` ("app:name")."""
    if involvement is None:
        links = [_link(entry, view_name) for entry in SIGNED_OUT]
        return Menu(signed_in=False, mode=None, switch=[], entries=links)
    modes = modes_for(involvement)
    mode = current_mode(modes, chosen)
    entries = _entries(involvement, mode)
    switch = [ModeChoice(m, str(MODE_LABELS[m]), m == mode) for m in modes] if len(modes) > 1 else []
    return Menu(
        signed_in=True, mode=mode, switch=switch, entries=[_link(entry, view_name) for entry in entries]
    )


def _entries(involvement: Involvement, mode: str) -> tuple[Entry, ...]:
    entries = MENUS[mode]
    if mode == SUPPORTER and involvement.supports_only:
        entries = (*entries[:-1], START_OWN_CIRCLE, entries[-1])
    if mode == PROFESSIONAL:
        if not _cares_for_members(involvement):  # an administrator only: their organization
            entries = (entries[-1],)
        if involvement.is_org_admin:
            entries = (*entries[:-1], ORGANIZATION, entries[-1])
    return entries


def _cares_for_members(involvement: Involvement) -> bool:
    return "professional" in involvement.role_kinds


def mode_home(involvement: Involvement, mode: str) -> str:
    if mode == PROFESSIONAL and not _cares_for_members(involvement):
        return ADMINISTRATOR_HOME
    return MODE_HOMES[mode]


def _link(entry: Entry, view_name: str) -> Link:
    return Link(entry.url_name, str(entry.label), entry.is_current(view_name), entry.inline)


def menu_for_request(request) -> Menu:
    match = getattr(request, "resolver_match", None)
    view_name = match.view_name if match else ""
    if not request.user.is_authenticated:
        return build_menu(None, None, view_name)
    return build_menu(load_involvement(request.user), request.session.get(SESSION_KEY), view_name)


def menu(request) -> dict:
    """Context processor: `menu`, built only if a template reads it."""
    return {"menu": SimpleLazyObject(lambda: menu_for_request(request))}


def home_url_name(request) -> str:
    """Where "/" leads a signed-in person: the home of the mode they are in."""
    involvement = load_involvement(request.user)
    return mode_home(involvement, current_mode(modes_for(involvement), request.session.get(SESSION_KEY)))


@require_POST
@login_required
def switch_mode(request):
    """The switch between "My work", "My recovery" and "People I support": kept in the session."""
    mode = request.POST.get("mode", "")
    involvement = load_involvement(request.user)
    if mode not in modes_for(involvement):
        return HttpResponseBadRequest(gettext("That view is not one of yours. Go back and choose another."))
    request.session[SESSION_KEY] = mode
    return redirect(mode_home(involvement, mode))
