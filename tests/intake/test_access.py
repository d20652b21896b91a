"""Who may open which dossier (``intake.access``): by role, by agency and department, along the
journey; consultations; the forms and files follow the same scope; everything else is 404."""

import pytest
from django.http import Http404
from django.urls import reverse

from intake import processing
from intake.access import dossier_for, slip_reception_for, visible_dossiers
from portal.models import Role
from tests.factories import DepartmentFactory, two_level_world
from tests.intake.processing_helpers import STRANGER_ROLES, advance, client_for, person, strangers

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return two_level_world()


def page(user, dossier) -> int:
    return client_for(user).get(reverse("intake:dossier", args=[dossier.code])).status_code


def sees(user, dossier) -> bool:
    return visible_dossiers(user.staff_profile).filter(pk=dossier.pk).exists()


def test_at_the_counter_the_commune_and_the_deciding_district_see_it_the_department_not_yet(
    world,
):
    dossier = world.receive()
    assert sees(world.clerk, dossier)
    assert sees(world.commune_leader, dossier)
    assert sees(world.leader, dossier)
    assert not sees(world.head, dossier)
    assert not sees(world.officer, dossier)
    assert not sees(world.district_clerk, dossier)
    assert page(world.officer, dossier) == 404


def test_the_department_sees_the_dossiers_at_its_steps_and_keeps_seeing_them_afterwards(world):
    dossier = advance(world, "at_department")
    assert sees(world.head, dossier) and sees(world.officer, dossier)
    dossier = advance(world, "at_leader", dossier)
    assert dossier.current_department is None
    assert sees(world.head, dossier) and sees(world.officer, dossier)
    assert page(world.head, dossier) == 200


def test_officers_of_another_department_of_the_same_agency_do_not_see_it(world):
    dossier = advance(world, "assigned")
    other = DepartmentFactory(agency=world.district, code="tai-nguyen-moi-truong")
    for roles in (["officer"], ["department_head"]):
        assert page(person(world.district, roles, other), dossier) == 404


def test_an_officer_keeps_the_dossiers_once_assigned_to_them_after_moving_departments(world):
    dossier = advance(world, "at_head")
    other = DepartmentFactory(agency=world.district, code="noi-vu")
    profile = world.officer.staff_profile
    profile.department = other
    profile.save()
    assert sees(world.officer, dossier)
    unassigned = person(world.district, ["officer"], other)
    assert not sees(unassigned, dossier)


def test_an_officer_without_a_department_sees_only_what_is_assigned_to_them(world):
    dossier = advance(world, "at_department")
    loose = person(world.district, ["officer"])
    assert not sees(loose, dossier)
    assert page(loose, dossier) == 404


def test_a_clerk_sees_the_dossiers_at_a_counter_step_of_their_unit(world):
    dossier = advance(world, "ready")
    # The last step is the commune's counter again; the district's counter never held it.
    assert sees(world.clerk, dossier)
    assert not sees(world.district_clerk, dossier)


def test_the_asked_department_sees_the_dossier_and_loses_nothing_once_it_answered(world):
    dossier = advance(world, "assigned")
    asked = DepartmentFactory(agency=world.district, code="tai-chinh-ke-hoach")
    officer = person(world.district, ["officer"], asked)
    head = person(world.district, ["department_head"], asked)
    assert not sees(officer, dossier)
    consultation = processing.consult(
        dossier,
        agency=world.district,
        department=asked,
        question="Ý kiến về quy hoạch?",
        working_days=3,
        actor=world.officer,
        version=dossier.version,
    )
    assert sees(officer, dossier) and sees(head, dossier)
    processing.answer_consultation(consultation, answer="Phù hợp quy hoạch.", actor=officer)
    assert sees(officer, dossier)


def test_an_agency_asked_without_a_department_is_seen_by_its_leaders_and_heads(world):
    dossier = advance(world, "assigned")
    outside = strangers()
    leader = outside.people["leader"]
    assert not sees(leader, dossier)
    processing.consult(
        dossier,
        agency=outside.district,
        department=None,
        question="Xác nhận ranh giới?",
        working_days=5,
        actor=world.officer,
        version=dossier.version,
    )
    assert sees(leader, dossier)
    assert sees(outside.people["department_head"], dossier)
    assert sees(outside.people["manager"], dossier)
    assert not sees(outside.people["officer"], dossier)
    assert not sees(outside.people["district_clerk"], dossier)


@pytest.mark.parametrize("role", STRANGER_ROLES)
def test_every_role_of_another_district_gets_404_at_every_stage(world, role):
    outside = strangers()
    user = outside.people[role]
    dossiers = [world.receive(), advance(world, "assigned"), advance(world, "returned")]
    for dossier in dossiers:
        assert page(user, dossier) == 404
        reception = reverse("intake:reception", args=[dossier.reception.token])
        assert client_for(user).get(reception).status_code in (403, 404)
        assert (
            client_for(user)
            .get(reverse("intake:slip_pdf", args=[dossier.reception.token, "01"]))
            .status_code
            == 404
        )


def test_people_without_a_dossier_role_get_403(world):
    dossier = world.receive()
    editor = person(world.district, [Role.CATALOGUE_EDITOR])
    assert page(editor, dossier) == 403


def test_a_code_that_does_not_exist_answers_404_like_one_out_of_scope(world):
    world.receive()
    assert client_for(world.clerk).get(reverse("intake:dossier", args=["X-1"])).status_code == 404


def test_the_forms_of_a_dossier_follow_the_dossier_page(world):
    dossier = world.receive()
    with pytest.raises(Http404):
        slip_reception_for(world.officer, dossier.reception.token)
    dossier = advance(world, "at_department", dossier)
    assert slip_reception_for(world.officer, dossier.reception.token) == dossier.reception
    with pytest.raises(Http404):
        slip_reception_for(strangers().people["officer"], dossier.reception.token)


def test_the_scope_is_one_lookup_by_code_whatever_the_number_of_dossiers(
    world, django_assert_max_num_queries
):
    for _ in range(5):
        advance(world, "at_department")
    dossier = advance(world, "at_department")
    sql = str(visible_dossiers(world.leader.staff_profile).filter(code=dossier.code).query)
    assert "EXISTS" in sql
    # A leader: the agency tree, the dossier, its agencies and the people it names.
    world.leader.staff_profile.roles  # noqa: B018 (read once, as a request does)
    with django_assert_max_num_queries(4):
        assert dossier_for(world.leader, dossier.code) == dossier
