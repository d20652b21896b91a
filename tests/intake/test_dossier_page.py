"""The staff page of a dossier (``/ho-so/<code>/``) and its file downloads: what it shows along
the journey, only the actions the person may take, scope for every role, methods, query
count, and files served only through the access check.
"""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image

from intake import processing
from intake.models import EventKind, Status
from portal.models import Role
from tests.factories import DepartmentFactory, two_level_world
from tests.intake.processing_helpers import (
    STRANGER_ROLES,
    action_url,
    advance,
    client_for,
    person,
    strangers,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return two_level_world()


def page_url(dossier) -> str:
    return reverse("intake:dossier", args=[dossier.code])


def offered(response) -> set[str]:
    """The actions the page offers, by name."""
    return {panel["action"].name for panel in response.context["actions"]}


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def test_the_page_shows_the_applicant_the_process_the_current_step_and_the_history(world):
    dossier = advance(world, "assigned")

    response = client_for(world.officer).get(page_url(dossier))

    assert response.status_code == 200
    body = response.content.decode()
    assert "Nguyễn Thị Hồng Nhung" in body
    for step in dossier.steps:
        assert step["name"] in body
    assert "Phòng Kinh tế - Hạ tầng" in body
    assert response.context["current_step"]["role"] == Role.OFFICER
    assert [row["current"] for row in response.context["steps"]] == [
        False,
        True,
        False,
        False,
        False,
    ]
    # The first step was visited and handed over; its visit is on the page.
    first = response.context["steps"][0]["visits"]
    assert len(first) == 1 and first[0].finished_at is not None and first[0].verdict
    kinds = [entry["event"].kind for entry in response.context["timeline"]]
    assert kinds == [EventKind.ACCEPTED, EventKind.FORWARDED, EventKind.ASSIGNED]
    forwarded = response.context["timeline"][1]
    assert forwarded["from_unit"] == str(world.commune)
    assert forwarded["to_unit"] == "Phòng Kinh tế - Hạ tầng"
    assert f'name="version" value="{dossier.version}"' in body


def test_the_timeline_names_the_assigned_officer_family_name_first(world):
    dossier = advance(world, "assigned")
    response = client_for(world.head).get(page_url(dossier))
    assigned = response.context["timeline"][2]["details"]
    assert (str(_("Officer")), "Nguyễn Văn A") in [(str(k), v) for k, v in assigned]


def test_the_timeline_names_a_unit_once_when_the_dossier_stays_in_it(world):
    dossier = advance(world, "returned")
    response = client_for(world.head).get(page_url(dossier))
    by_kind = {entry["event"].kind: entry for entry in response.context["timeline"]}
    proposed = by_kind[EventKind.RESULT_PROPOSED]  # the officer to the head, in one department
    assert proposed["from_unit"] == "Phòng Kinh tế - Hạ tầng" and proposed["to_unit"] == ""
    returned = by_kind[EventKind.RESULT_RETURNED]  # out of the process: no "→ —"
    assert returned["to_unit"] == ""
    body = response.content.decode()
    assert "Phòng Kinh tế - Hạ tầng → Phòng Kinh tế - Hạ tầng" not in body and "→ —" not in body


def test_a_supplement_that_did_not_move_the_appointment_shows_it_once(world):
    dossier = advance(world, "assigned")
    night = dossier.accepted_at.replace(hour=20)  # 20:00: no office time passes till 21:00
    processing.request_supplement(
        dossier,
        missing=[{"document": "Bản vẽ", "reason": "Mờ"}],
        contact="KTHT",
        actor=world.officer,
        now=night,
    )
    processing.record_supplement(dossier, actor=world.clerk, now=night.replace(hour=21))
    response = client_for(world.head).get(page_url(dossier))
    recorded = [
        entry
        for entry in response.context["timeline"]
        if entry["event"].kind == EventKind.SUPPLEMENT_RECEIVED
    ]
    assert len(recorded) == 1 and recorded[0]["previous_due_at"] is None


def test_only_the_actions_the_person_may_take_now_are_offered(world):
    dossier = world.receive()
    assert offered(client_for(world.clerk).get(page_url(dossier))) >= {"forward"}
    assert "approve" not in offered(client_for(world.clerk).get(page_url(dossier)))
    dossier = advance(world, "at_department", dossier)
    head_offers = offered(client_for(world.head).get(page_url(dossier)))
    assert "assign" in head_offers and "approve" not in head_offers
    # The district's leader may hand out work too (communes have no heads), and apologise.
    assert offered(client_for(world.leader).get(page_url(dossier))) <= {"assign", "apologise"}
    dossier = advance(world, "assigned", dossier)
    officer_offers = offered(client_for(world.officer).get(page_url(dossier)))
    assert {"propose", "request_supplement", "consult", "send_back", "attach"} <= officer_offers
    assert "forward" not in officer_offers
    for name in offered(client_for(world.officer).get(page_url(dossier))):
        assert name in processing.available_actions(dossier, world.officer)


def test_every_offered_action_posts_to_its_own_url_with_the_version(world):
    dossier = advance(world, "assigned")
    body = client_for(world.officer).get(page_url(dossier)).content.decode()
    assert f'action="{action_url(dossier, "de-xuat")}"' in body
    assert f'action="{action_url(dossier, "phe-duyet")}"' not in body
    assert 'enctype="multipart/form-data"' in body  # the attach form


def test_a_finished_dossier_offers_nothing_and_says_processing_ended(world):
    dossier = advance(world, "returned")
    response = client_for(world.clerk).get(page_url(dossier))
    assert response.context["current_step"] is None
    assert offered(response) == set()
    body = response.content.decode()
    assert "Nguyễn Thị Hồng Nhung" in body and "079190001234" in body


def test_questions_pauses_and_files_are_on_the_page(world):
    dossier = advance(world, "assigned")
    asked = DepartmentFactory(agency=world.district, code="tai-chinh")
    processing.consult(
        dossier,
        agency=world.district,
        department=asked,
        question="Ý kiến về giá đất?",
        working_days=3,
        actor=world.officer,
        version=dossier.version,
    )
    dossier.refresh_from_db()
    processing.attach(
        dossier,
        upload=SimpleUploadedFile("ban-ve.png", png_bytes()),
        kind="document",
        actor=world.officer,
        version=dossier.version,
    )
    dossier.refresh_from_db()
    processing.request_supplement(
        dossier,
        missing=[{"document": "Bản vẽ", "reason": "Thiếu chữ ký"}],
        contact="Phòng KTHT, 0271 3888 999",
        actor=world.officer,
        version=dossier.version,
    )
    dossier.refresh_from_db()

    response = client_for(world.officer).get(page_url(dossier))

    body = response.content.decode()
    assert "Ý kiến về giá đất?" in body and asked.name in body
    assert "Bản vẽ — Thiếu chữ ký" in body
    assert reverse("intake:attachment", args=[dossier.code, 1]) in body
    assert response.context["paused"]
    # The asked department's officer gets the answer form; the asking officer does not.
    assert response.context["questions"][0]["form"] is None
    answerer = person(world.district, ["officer"], asked)
    other = client_for(answerer).get(page_url(dossier))
    assert other.context["questions"][0]["form"] is not None


def test_the_forms_issued_link_to_their_pdf(world):
    dossier = world.receive()
    body = client_for(world.clerk).get(page_url(dossier)).content.decode()
    assert reverse("intake:slip_pdf", args=[dossier.reception.token, "01"]) in body


def test_the_page_answers_get_only(world):
    dossier = world.receive()
    assert client_for(world.clerk).post(page_url(dossier)).status_code == 405
    url = reverse("intake:attachment", args=[dossier.code, 1])
    assert client_for(world.clerk).post(url).status_code == 405


def test_visitors_are_sent_to_sign_in_and_other_roles_refused(client, world):
    dossier = world.receive()
    response = client.get(page_url(dossier))
    assert response.status_code == 302 and reverse("login") in response["Location"]
    editor = person(world.district, [Role.CATALOGUE_EDITOR])
    assert client_for(editor).get(page_url(dossier)).status_code == 403


@pytest.mark.parametrize("role", STRANGER_ROLES)
def test_another_agencys_dossier_answers_404_for_every_role(world, role):
    dossier = advance(world, "at_leader")
    user = strangers().people[role]
    assert client_for(user).get(page_url(dossier)).status_code == 404
    processing.attach(
        dossier,
        upload=SimpleUploadedFile("a.png", png_bytes()),
        kind="document",
        actor=world.leader,
        version=dossier.version,
    )
    url = reverse("intake:attachment", args=[dossier.code, 1])
    assert client_for(user).get(url).status_code == 404


def test_the_query_count_does_not_grow_with_the_history(world, django_assert_max_num_queries):
    short = advance(world, "at_leader")
    long = advance(world, "at_leader")
    processing.consult(
        long,
        agency=world.commune,
        department=None,
        question="Xác nhận nơi cư trú?",
        working_days=2,
        actor=world.leader,
        version=long.version,
    )
    long.refresh_from_db()
    for number in range(4):
        processing.attach(
            long,
            upload=SimpleUploadedFile(f"{number}.png", png_bytes()),
            kind="document",
            actor=world.leader,
            version=long.version,
        )
        long.refresh_from_db()
    client = client_for(world.leader)
    client.get(page_url(short))  # the work calendar is loaded once per process

    counts = []
    for dossier in (short, long):
        with django_assert_max_num_queries(30) as captured:
            assert client.get(page_url(dossier)).status_code == 200
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


# Files


def test_a_file_downloads_as_an_attachment_of_its_recognised_type(world):
    dossier = advance(world, "assigned")
    processing.attach(
        dossier,
        upload=SimpleUploadedFile("scan.PNG", png_bytes(), content_type="application/pdf"),
        kind="document",
        actor=world.officer,
        version=dossier.version,
    )

    response = client_for(world.clerk).get(reverse("intake:attachment", args=[dossier.code, 1]))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "scan.png" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content) == png_bytes()


def test_a_file_number_out_of_range_or_of_a_dossier_out_of_scope_answers_404(world):
    dossier = advance(world, "assigned")
    processing.attach(
        dossier,
        upload=SimpleUploadedFile("scan.png", png_bytes()),
        kind="document",
        actor=world.officer,
        version=dossier.version,
    )
    client = client_for(world.officer)
    for number in (0, 2, 99):
        assert (
            client.get(reverse("intake:attachment", args=[dossier.code, number])).status_code == 404
        )
    outsider = person(world.district, ["officer"])  # no department, not assigned
    url = reverse("intake:attachment", args=[dossier.code, 1])
    assert client_for(outsider).get(url).status_code == 404
    assert Status(dossier.status) == Status.IN_PROGRESS


def first_offered(response) -> tuple[str, bool]:
    """The first action the page offers, by name, and whether its panel stands open."""
    panel = response.context["actions"][0]
    return panel["action"].name, panel["open"]


def test_a_head_opening_a_dossier_to_assign_is_offered_the_assignment_first(world):
    dossier = advance(world, "at_department")
    inbox = client_for(world.head).get(reverse("intake:inbox"), {"tab": "den-phong"})
    link = f'href="{dossier.get_absolute_url()}?tab=den-phong"'
    assert link in inbox.content.decode()

    from_tab = client_for(world.head).get(page_url(dossier), {"tab": "den-phong"})
    assert first_offered(from_tab) == (processing.ASSIGN, True)
    assert processing.PROPOSE in offered(from_tab)
    body = from_tab.content.decode()
    assert body.index(_("Assign an officer")) < body.index(_("Propose the result"))
    # Opened without a tab, an officer's step without an officer waits for one all the same.
    assert first_offered(client_for(world.head).get(page_url(dossier))) == (processing.ASSIGN, True)


def test_the_tab_a_dossier_was_opened_from_decides_the_first_action(world):
    dossier = advance(world, "assigned")
    head = client_for(world.head)
    # Assigned, the way forward comes first; from the tab of dossiers to assign, reassigning.
    assert first_offered(head.get(page_url(dossier))) == (processing.PROPOSE, True)
    assert first_offered(head.get(page_url(dossier), {"tab": "den-phong"}))[0] == processing.ASSIGN
    # A tab whose action is not offered here, or an unknown one, changes nothing.
    for tab in ("trinh-ky", "nonsense"):
        assert first_offered(head.get(page_url(dossier), {"tab": tab})) == (
            processing.PROPOSE,
            True,
        )


def test_the_actions_come_first_and_the_history_is_folded_under_its_count_and_latest(world):
    dossier = advance(world, "at_head")

    response = client_for(world.head).get(page_url(dossier))

    body = response.content.decode()
    actions = body.index('id="actions-heading"')
    assert actions < body.index('id="now-heading"') < body.index('id="documents-heading"')
    assert actions < body.index(_("Applicant"))
    # The history folds (a <details>, so it opens without script) under one line.
    events = list(dossier.events.all())
    latest = events[-1]
    history = body[body.index('<details class="dossier-history">') :]
    summary = history[: history.index("</summary>")]
    assert f"{len(events)} sự kiện; gần nhất: {latest.get_kind_display()}" in summary
    assert timezone.localtime(latest.at).strftime("%H:%M %d/%m/%Y") in summary
    assert history.index(str(EventKind.ACCEPTED.label)) > len(summary)
