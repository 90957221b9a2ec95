import pytest


@pytest.fixture
def deployment_admin(db):
    """Whoever runs this Circles (a superuser): the only one who may import questionnaire wording."""
    from circles.accounts.models import User

    # Tests sign in with force_login, so no password (and no slow hashing) is needed.
    return User.objects.create(
        email="operator@example.org", display_name="Dana", is_staff=True, is_superuser=True
    )
