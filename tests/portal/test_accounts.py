"""Staff sign-in and sign-out, the staff home, and the role groups."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from portal.models import Role
from portal.roles import ensure_role_groups
from tests.factories import StaffProfileFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_every_role_is_a_group_after_migrate():
    assert set(Group.objects.values_list("name", flat=True)) >= set(Role.values)


def test_catalogue_editors_may_change_procedures_and_clerks_may_only_view():
    editor = UserFactory(roles=[Role.CATALOGUE_EDITOR])
    clerk = UserFactory(roles=[Role.CLERK])
    assert editor.has_perm("procedures.change_procedure")
    assert editor.has_perm("procedures.add_feeline")
    assert clerk.has_perm("procedures.view_procedure")
    assert not clerk.has_perm("procedures.change_procedure")


def test_role_groups_are_restored_idempotently():
    group = Group.objects.get(name=Role.CATALOGUE_EDITOR)
    group.permissions.clear()
    ensure_role_groups()
    ensure_role_groups()
    assert group.permissions.filter(codename="change_procedure").exists()
    assert Group.objects.filter(name=Role.CATALOGUE_EDITOR).count() == 1


def test_sign_in_leads_to_the_staff_home_with_agency_and_roles(client):
    profile = StaffProfileFactory(user__username="motcua.xa", user__roles=[Role.CLERK])
    response = client.post(
        reverse("login"),
        {"username": "motcua.xa", "password": "mat-khau-thu-nghiem"},
        follow=True,
    )
    body = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("portal:staff_home")
    assert profile.agency.name in body
    assert "Công chức Một cửa" in body or "Counter clerk" in body


def test_wrong_password_gives_a_message_and_no_session(client):
    StaffProfileFactory(user__username="motcua.xa")
    response = client.post(reverse("login"), {"username": "motcua.xa", "password": "sai"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert response.context["form"].errors


def test_sign_out_needs_post_and_ends_the_session(client):
    profile = StaffProfileFactory()
    client.force_login(profile.user)
    assert client.get(reverse("logout")).status_code == 405
    client.post(reverse("logout"))
    assert "_auth_user_id" not in client.session


def test_staff_home_requires_sign_in(client):
    response = client.get(reverse("portal:staff_home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_staff_home_without_profile_explains_what_to_do(client):
    client.force_login(UserFactory())
    response = client.get(reverse("portal:staff_home"))
    assert response.status_code == 200
    assert response.context["profile"] is None


def test_admin_is_in_vietnamese_for_catalogue_editors(client):
    editor = UserFactory(roles=[Role.CATALOGUE_EDITOR])
    editor.is_staff = True
    editor.save()
    client.force_login(editor)
    response = client.get(reverse("admin:procedures_procedure_changelist"))
    assert response.status_code == 200
    assert 'lang="vi"' in response.content.decode()


def test_clerk_cannot_change_the_catalogue_in_admin(client):
    clerk = UserFactory(roles=[Role.CLERK])
    clerk.is_staff = True
    clerk.save()
    client.force_login(clerk)
    assert client.get(reverse("admin:procedures_procedure_add")).status_code == 403
