"""The caseload: a staff member's home, every member they care for ranked by need."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from circles.care import logic
from circles.care.access import current_memberships
from circles.care.caseload import load_caseload, staff_choices

# The ranking covers the whole caseload; a page shows the neediest first, this many at a time.
ROWS_PER_PAGE = 50


class CaseloadFilterForm(forms.Form):
    """The caseload's filters, as GET parameters: a colleague on the care team, and a reason."""

    staff = forms.TypedChoiceField(
        label=_("Care team includes"), required=False, coerce=int, empty_value=None
    )
    reason = forms.ChoiceField(label=_("Reason"), required=False)
    # Not drawn in the form (a new filter starts at page 1): the pages' links carry it.
    page = forms.IntegerField(required=False, min_value=1)

    def __init__(self, data, *, staff_choices):
        super().__init__(data)
        self.fields["staff"].choices = [("", _("Anyone")), *((s.pk, _staff_label(s)) for s in staff_choices)]
        self.fields["reason"].choices = [("", _("Any reason")), *logic.REASON_LABELS.items()]


def _staff_label(membership) -> str:
    return f"{membership.user.display_name} ({membership.get_role_display()}, {membership.organization.name})"


@never_cache
@require_GET
@login_required
def caseload(request):
    """Everyone the viewer is on the care team of, ranked by need with reasons in plain words."""
    memberships = current_memberships(request.user)
    if not memberships:
        return render(request, "care/caseload/no_membership.html")
    form = CaseloadFilterForm(request.GET or None, staff_choices=staff_choices(request.user))
    staff_id, reason = None, None
    if form.is_bound and form.is_valid():
        staff_id, reason = form.cleaned_data["staff"], form.cleaned_data["reason"] or None
    loaded = load_caseload(
        request.user,
        staff_id=staff_id,
        reason=reason,
        page_number=request.GET.get("page"),
        per_page=ROWS_PER_PAGE,
    )
    kept = request.GET.copy()
    kept.pop("page", None)
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(
        request,
        "care/caseload/caseload.html",
        {
            "rows": loaded.rows,
            "page": loaded.page,
            "shown": loaded.shown,
            "filters": kept.urlencode(),
            "total": loaded.total,
            "form": form,
            "filtered": staff_id is not None or bool(reason),
            "memberships": memberships,
            "several_organizations": len({m.organization_id for m in memberships}) > 1,
        },
        status=status,
    )


urlpatterns: list[URLPattern] = [
    path("", caseload, name="caseload"),
]
