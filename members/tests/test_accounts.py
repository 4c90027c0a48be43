from django.contrib.auth import get_user_model
from django.urls import reverse

from members.accounts import set_password_path
from members.models import Person


def test_member_logs_in_with_username(client, world):
    response = client.post(
        reverse("account_login"), {"login": "member", "password": "pass-word-123"}
    )
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_member_logs_in_with_mobile_number(client, world):
    mobile = world.member.person.mobile
    response = client.post(reverse("account_login"), {"login": mobile, "password": "pass-word-123"})
    assert response.status_code == 302
    assert response.wsgi_request.user == world.member.person.user


def test_wrong_password_is_refused_in_chinese(client, world):
    response = client.post(reverse("account_login"), {"login": "member", "password": "nope"})
    assert response.status_code == 200
    assert "用户名" in response.content.decode()


def test_there_is_no_open_signup(client, db):
    response = client.get(reverse("account_signup"))
    assert response.templates[0].name == "account/signup_closed.html"
    response = client.post(
        reverse("account_signup"),
        {"username": "x", "password1": "Xk3-duty-2026", "password2": "Xk3-duty-2026"},
    )
    assert not get_user_model().objects.filter(username="x").exists()


def test_staff_create_accounts_in_bulk_and_issue_one_time_links(client, world):
    new = world.member.__class__.objects.create(
        person=Person.objects.create(
            name="无账号委员", gender="m", party="cdl", mobile="13811112222"
        ),
        term=world.term,
        number="7777",
        sector=world.sector,
        joined_on="2022-01-01",
    )
    client.force_login(world.staff)
    response = client.post(reverse("members:accounts"), {"action": "create", "member": [new.pk]})
    assert response.status_code == 200
    new.person.refresh_from_db()
    user = new.person.user
    assert user.username == "13811112222"
    assert not user.has_usable_password()
    html = response.content.decode()
    assert "/accounts/password/reset/key/" in html

    # the member opens the link, sets a password, and can log in; the link then stops working
    client.logout()
    link = set_password_path(user)
    response = client.get(link, follow=True)
    form_url = response.redirect_chain[-1][0]
    response = client.post(form_url, {"password1": "Xk3-duty-2026", "password2": "Xk3-duty-2026"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Xk3-duty-2026")
    assert client.login(username="13811112222", password="Xk3-duty-2026")
    client.logout()
    response = client.get(link, follow=True)
    assert response.context["token_fail"]


def test_members_and_leadership_cannot_create_accounts(client, world):
    for user in (world.member.person.user, world.leader):
        client.force_login(user)
        assert client.post(reverse("members:accounts"), {"action": "create"}).status_code == 403


def test_login_failures_are_rate_limited(client, world):
    for _ in range(5):
        client.post(reverse("account_login"), {"login": "member", "password": "wrong"})
    response = client.post(
        reverse("account_login"), {"login": "member", "password": "pass-word-123"}
    )
    # allauth refuses further attempts for this login, the right password included
    assert response.status_code in (200, 429)
    assert "_auth_user_id" not in client.session


def test_sessions_live_in_the_database_and_end_after_inactivity(client, world, settings):
    from django.contrib.sessions.models import Session

    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"
    assert (
        settings.SESSION_SAVE_EVERY_REQUEST
    )  # each request pushes the expiry on: idle time, not age
    client.post(reverse("account_login"), {"login": "member", "password": "pass-word-123"})
    session = Session.objects.get()
    # an idle session past its expiry no longer logs anyone in
    Session.objects.filter(pk=session.pk).update(expire_date=session.expire_date.replace(year=2000))
    response = client.get(reverse("members:list"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_a_member_with_an_email_can_reset_their_password_by_mail(client, world, mailoutbox):
    user = world.member.person.user
    user.email = "member@example.org"
    user.save()
    response = client.post(reverse("account_reset_password"), {"email": "member@example.org"})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert "/accounts/password/reset/key/" in mailoutbox[0].body


def test_a_member_with_no_email_gets_no_mail_and_no_hint(client, world, mailoutbox):
    response = client.post(reverse("account_reset_password"), {"email": "nobody@example.org"})
    assert response.status_code in (200, 302)
    assert mailoutbox == []
