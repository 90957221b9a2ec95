"""Password reset by email."""

import re

from django.core import mail

from circles.accounts.models import User


def test_reset_by_email_end_to_end(riley, client):
    response = client.post("/accounts/password-reset/", {"email": riley.email})
    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.to == [riley.email]
    assert "expires in 60 minutes" in message.body
    link = re.search(r"http://testserver(/accounts/password-reset/\S+/)", message.body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    new_password = "fresh-meadow-compass-9"
    done = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": new_password, "new_password2": new_password}
    )
    assert done.status_code == 302
    assert User.objects.get(pk=riley.pk).check_password(new_password)
    # The link works once.
    assert "already been used or has expired" in client.get(link, follow=True).content.decode()


def test_unknown_address_looks_the_same(client, db):
    response = client.post("/accounts/password-reset/", {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert mail.outbox == []
