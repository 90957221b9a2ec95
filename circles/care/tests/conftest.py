"""Care fixtures shared by the care tests: Harbor Recovery Center with olivia (administrator) and casey
(counselor, primary on riley's care team), riley enrolled sharing CASELOAD_SCOPES, and the people the
permission grids must refuse."""

import pytest

from circles.care.actions import do_add_staff
from circles.care.models import StaffRole
from circles.care.tests.factories import enrol, make_organization


@pytest.fixture
def harbor(olivia, casey):
    return make_organization(olivia, casey)


@pytest.fixture
def enrolment(harbor, riley):
    return enrol(riley, harbor)


@pytest.fixture
def colleague(harbor, olivia, jamie):
    """Jamie: a therapist at Harbor who is not on riley's care team."""
    return do_add_staff(harbor.organization, jamie, role=StaffRole.THERAPIST, acting_user=olivia)


@pytest.fixture
def elsewhere(mallory):
    """Mallory: the administrator of another organization."""
    return make_organization(mallory, name="Elsewhere Clinic")
