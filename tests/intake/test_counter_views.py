"""The counter's pages: the clerk's day, finding a procedure, the reception form and its three
buttons, the outcome page and the staff dossier page; scope, roles, methods, bad input."""

import re
import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from intake.counter.reception import receive
from intake.models import Dossier, EventKind, Outcome, Reception, Status
from portal.models import Role
from procedures.models import ProcedureChannel
from tests.factories import (
    AgencyFactory,
    ClerkFactory,
    FieldFactory,
    ProcedureFactory,
    ReceptionDataFactory,
    RequiredDocumentFactory,
    StaffProfileFactory,
    copy_certification_fees,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def unit():
    return AgencyFactory(
        name="Ủy ban nhân dân xã Tân Tiến",
        short_name="UBND xã Tân Tiến",
        electronic_id="H15.50.05.13",
        phone="0271 3888 999",
    )


@pytest.fixture
def clerk(unit):
    return ClerkFactory(agency=unit, user__username="motcua.tantien").user


@pytest.fixture
def clerk_client(client, clerk):
    client.force_login(clerk)
    return client


@pytest.fixture
def procedure(unit):
    """Copy certification: two documents required, one only in some cases, fees per page."""
    procedure = ProcedureFactory(
        code="2.000815",
        name="Chứng thực bản sao từ bản chính",
        field=FieldFactory(code="chung-thuc", name="Chứng thực"),
        channels=["in_person", "online"],
    )
    ProcedureChannel.objects.create(
        procedure=procedure, channel="postal", time_value=2, time_unit="working_days"
    )
    procedure.agencies.add(unit)
    RequiredDocumentFactory(procedure=procedure, order=1, name="Bản chính giấy tờ", originals=1)
    RequiredDocumentFactory(
        procedure=procedure, order=2, name="Bản sao cần chứng thực", originals=0, photocopies=2
    )
    RequiredDocumentFactory(
        procedure=procedure, order=3, name="Giấy ủy quyền", originals=1, is_required=False
    )
    copy_certification_fees(procedure)
    return procedure


@pytest.fixture
def elsewhere():
    """Another unit, its clerk and a dossier it accepted."""
    agency = AgencyFactory(electronic_id="H15.50.05.99")
    procedure = ProcedureFactory(name="Đăng ký khai sinh")
    procedure.agencies.add(agency)
    clerk = ClerkFactory(agency=agency).user
    reception = receive(
        ReceptionDataFactory(procedure=procedure), clerk=clerk, agency=agency, outcome="accepted"
    )
    return {"agency": agency, "clerk": clerk, "procedure": procedure, "reception": reception}


def entered(procedure, **changes) -> dict:
    """The reception form as a clerk submits it: every document present, accept pressed."""
    data = {
        "token": str(uuid.uuid4()),
        "applicant_kind": "individual",
        "applicant_name": "  Nguyễn  Thị Hồng Nhung ",
        "applicant_id_number": "079190001234",
        "applicant_phone": "0912345678",
        "applicant_email": "nhung@example.vn",
        "applicant_address": "Tổ 3, ấp Tân Lập",
        "channel": "in_person",
        "qty-page": "3",
        "qty-copy": "2",
        "return_method": "counter",
        "outcome": "accepted",
    }
    for index, document in enumerate(procedure.documents.all()):
        data[f"doc-{index}-present"] = "on"
        data[f"doc-{index}-originals"] = str(document.originals)
        data[f"doc-{index}-certified_copies"] = str(document.certified_copies)
        data[f"doc-{index}-photocopies"] = str(document.photocopies)
        data[f"doc-{index}-pages"] = "3"
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def receive_url(procedure) -> str:
    return reverse("intake:receive", args=[procedure.code])


def nothing_saved() -> bool:
    return not Reception.objects.exists() and not Dossier.objects.exists()


# ------------------------------------------------------------------------------------------
# Roles and methods, for every page


def counter_urls(procedure, reception):
    return [
        reverse("intake:counter"),
        reverse("intake:choose_procedure"),
        receive_url(procedure),
        reverse("intake:reception", args=[reception.token]),
    ]


def test_counter_pages_send_anonymous_visitors_to_sign_in(client, procedure, elsewhere):
    for url in counter_urls(procedure, elsewhere["reception"]):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("roles", [[Role.OFFICER], [Role.LEADER, Role.MANAGER], []])
def test_counter_pages_are_for_clerks_only(client, unit, procedure, roles):
    client.force_login(StaffProfileFactory(agency=unit, user__roles=roles).user)
    reception = receive(
        ReceptionDataFactory(procedure=procedure),
        clerk=ClerkFactory(agency=unit).user,
        agency=unit,
        outcome="accepted",
    )
    for url in counter_urls(procedure, reception):
        assert client.get(url).status_code == 403, url
    assert client.post(receive_url(procedure), entered(procedure)).status_code == 403
    assert Reception.objects.count() == 1


def test_counter_pages_answer_only_the_methods_they_serve(clerk_client, clerk, unit, procedure):
    reception = receive(
        ReceptionDataFactory(procedure=procedure), clerk=clerk, agency=unit, outcome="accepted"
    )
    for url in [
        reverse("intake:counter"),
        reverse("intake:choose_procedure"),
        reverse("intake:reception", args=[reception.token]),
        reverse("intake:dossier", args=[reception.dossier.code]),
    ]:
        assert clerk_client.post(url).status_code == 405, url
    assert clerk_client.put(receive_url(procedure)).status_code == 405
    assert clerk_client.delete(receive_url(procedure)).status_code == 405


# ------------------------------------------------------------------------------------------
# The counter's home


@pytest.mark.usefixtures("office_hours")  # "today at 17:00" is still ahead
def test_counter_home_lists_the_day_of_the_unit(clerk_client, unit, clerk, procedure, elsewhere):
    accepted = receive(
        ReceptionDataFactory(procedure=procedure, applicant_name="Lê Văn Tám"),
        clerk=clerk,
        agency=unit,
        outcome="accepted",
    )
    incomplete = receive(
        ReceptionDataFactory(
            procedure=procedure,
            applicant_name="Phạm Thị Hoa",
            missing=[{"document": "Bản chính", "reason": "Bị tẩy xóa"}],
        ),
        clerk=clerk,
        agency=unit,
        outcome="incomplete",
    )
    due = receive(
        ReceptionDataFactory(procedure=procedure), clerk=clerk, agency=unit, outcome="accepted"
    )
    today_at_five = timezone.localtime().replace(hour=17, minute=0, second=0, microsecond=0)
    Dossier.objects.filter(pk=due.dossier.pk).update(due_at=today_at_five)
    ready = receive(
        ReceptionDataFactory(procedure=procedure), clerk=clerk, agency=unit, outcome="accepted"
    )
    Dossier.objects.filter(pk=ready.dossier.pk).update(status=Status.RESULT_READY)

    response = clerk_client.get(reverse("intake:counter"))

    assert response.status_code == 200
    context = response.context
    assert [r.pk for r in context["accepted"]] == [accepted.pk, due.pk, ready.pk]
    assert [r.pk for r in context["turned_away"]] == [incomplete.pk]
    assert [d.pk for d in context["due_today"]] == [due.dossier.pk]
    assert [d.pk for d in context["ready"]] == [ready.dossier.pk]
    body = response.content.decode()
    assert accepted.dossier.code in body and "Lê Văn Tám" in body and "Phạm Thị Hoa" in body
    assert elsewhere["reception"].dossier.code not in body
    assert "autofocus" in body and reverse("intake:choose_procedure") in body


@pytest.mark.usefixtures("office_hours")  # "today at 17:00" is still ahead
def test_counter_home_query_count_does_not_grow_with_rows(
    clerk_client, unit, clerk, procedure, django_assert_max_num_queries
):
    today_at_five = timezone.localtime().replace(hour=17, minute=0, second=0, microsecond=0)
    for number in range(12):
        outcome = ["accepted", "incomplete", "refused"][number % 3]
        reception = receive(
            ReceptionDataFactory(
                procedure=procedure,
                missing=[{"document": "Bản chính", "reason": "Thiếu"}],
                reasons="Không đủ điều kiện",
            ),
            clerk=clerk,
            agency=unit,
            outcome=outcome,
        )
        if outcome == "accepted" and number % 2:
            Dossier.objects.filter(reception=reception).update(due_at=today_at_five)
        elif outcome == "accepted":
            Dossier.objects.filter(reception=reception).update(status=Status.RESULT_READY)

    # Nine for the page and its inbox badge, one for the bell's unread count.
    with django_assert_max_num_queries(10):
        response = clerk_client.get(reverse("intake:counter"))
    context = response.context
    assert len(context["accepted"]) == 4 and len(context["turned_away"]) == 8
    assert len(context["due_today"]) == 2 and len(context["ready"]) == 2


def test_the_navigation_shows_the_counter_to_clerks_only(client, clerk_client, unit):
    counter = reverse("intake:counter")
    assert counter in clerk_client.get(reverse("portal:staff_home")).content.decode()
    client.logout()
    client.force_login(StaffProfileFactory(agency=unit, user__roles=[Role.OFFICER]).user)
    assert counter not in client.get(reverse("portal:staff_home")).content.decode()


# ------------------------------------------------------------------------------------------
# Choosing the procedure


def test_search_without_accents_finds_the_procedures_of_this_unit_only(
    clerk_client, unit, procedure, elsewhere
):
    ProcedureFactory(name="Chứng thực bản sao nháp", draft=True).agencies.add(unit)
    ProcedureFactory(name="Chứng thực bản sao ở nơi khác").agencies.add(elsewhere["agency"])

    response = clerk_client.get(reverse("intake:choose_procedure"), {"q": "chung thuc ban sao"})

    assert response.status_code == 200
    assert [p.code for p in response.context["page"]] == ["2.000815"]
    assert receive_url(procedure) in response.content.decode()


def test_an_empty_search_lists_every_procedure_of_the_unit(clerk_client, unit, procedure):
    ProcedureFactory(code="1.001193", name="Đăng ký khai sinh").agencies.add(unit)
    response = clerk_client.get(reverse("intake:choose_procedure"))
    assert [p.code for p in response.context["page"]] == ["1.001193", "2.000815"]


# ------------------------------------------------------------------------------------------
# The reception form


def test_the_form_offers_the_procedures_channels_documents_and_fee_quantities(
    clerk_client, procedure
):
    response = clerk_client.get(receive_url(procedure))

    assert response.status_code == 200
    form = response.context["form"]
    assert uuid.UUID(str(form["token"].value()))
    assert [value for value, _ in form.fields["channel"].choices] == ["in_person", "postal"]
    assert form["channel"].value() == "in_person"  # the usual case, one click less
    assert [row["document"].name for row in form.document_rows] == [
        "Bản chính giấy tờ",
        "Bản sao cần chứng thực",
        "Giấy ủy quyền",
    ]
    assert [field.value() for field in form.document_rows[1]["counts"]] == [0, 0, 2]
    assert not form.document_rows[0]["present"].value()
    assert [field.name for field in form.quantity_fields] == ["qty-page", "qty-copy"]
    assert "0271 3888 999" in form["contact"].value()
    body = response.content.decode()
    for outcome in Outcome.values:
        if outcome != Outcome.PENDING:  # filed online, never at the counter
            assert f'name="outcome" value="{outcome}"' in body


def test_without_a_phone_the_contact_offered_is_the_counter_at_the_units_address(
    clerk_client, unit, procedure
):
    unit.phone, unit.address = "", "Ấp 2, xã Tân Tiến, huyện Bù Đốp"
    unit.save()

    form = clerk_client.get(receive_url(procedure)).context["form"]

    with translation.override(settings.LANGUAGE_CODE):
        offered = gettext("One-stop counter – %(address)s") % {"address": unit.address}
    assert form["contact"].value() == offered


def test_without_a_phone_or_an_address_nothing_is_offered(clerk_client, unit, procedure):
    unit.phone, unit.address = "", ""
    unit.save()
    assert not clerk_client.get(receive_url(procedure)).context["form"]["contact"].value()


@pytest.mark.parametrize("outcome", ["accepted", "refused"])
def test_only_a_supplement_request_needs_whom_to_call(clerk_client, procedure, outcome):
    data = entered(procedure, outcome=outcome, reasons="Không thuộc thẩm quyền", contact="")
    assert clerk_client.post(receive_url(procedure), data).status_code == 302
    assert Reception.objects.get().outcome == outcome


def test_each_rendering_carries_a_new_token(clerk_client, procedure):
    first = clerk_client.get(receive_url(procedure)).context["form"]["token"].value()
    second = clerk_client.get(receive_url(procedure)).context["form"]["token"].value()
    assert first != second


def test_another_units_procedure_or_a_draft_answers_404(clerk_client, unit, elsewhere):
    draft = ProcedureFactory(draft=True)
    draft.agencies.add(unit)
    assert clerk_client.get(receive_url(elsewhere["procedure"])).status_code == 404
    assert (
        clerk_client.post(
            receive_url(elsewhere["procedure"]), entered(elsewhere["procedure"])
        ).status_code
        == 404
    )
    assert clerk_client.get(receive_url(draft)).status_code == 404
    assert Reception.objects.count() == 1  # the other unit's own


def test_accepting_records_the_dossier_and_shows_code_key_appointment_and_fees(
    clerk_client, clerk, unit, procedure
):
    response = clerk_client.post(receive_url(procedure), entered(procedure))

    reception = Reception.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("intake:reception", args=[reception.token])
    assert (reception.clerk, reception.agency, reception.outcome) == (clerk, unit, "accepted")
    assert reception.applicant_name == "Nguyễn Thị Hồng Nhung"
    assert reception.fee_total == 10000  # (2 × 2.000 + 1 × 1.000) × 2 copies
    assert [document["present"] for document in reception.documents] == [True, True, True]
    assert reception.documents[1] == {
        "name": "Bản sao cần chứng thực",
        "required": True,
        "originals": 0,
        "certified_copies": 0,
        "photocopies": 2,
        "pages": 3,
        "present": True,
    }
    dossier = reception.dossier

    page = clerk_client.get(response.url)

    assert page.status_code == 200
    body = page.content.decode()
    assert dossier.code in body
    assert f"{dossier.lookup_key[:4]} {dossier.lookup_key[4:]}" in body
    assert timezone.localtime(dossier.due_at).strftime("%H:%M %d/%m/%Y") in body
    assert dossier.due_explanation[-1] in body
    assert "10.000 đồng" in body
    assert reverse("intake:slip_pdf", args=[reception.token, "01"]) in body
    assert dossier.get_absolute_url() in body


def test_after_accepting_the_clerk_receives_the_next_dossier_of_the_same_procedure(
    clerk_client, procedure
):
    outcome = clerk_client.post(receive_url(procedure), entered(procedure), follow=True)
    body = outcome.content.decode()
    link = f'href="{receive_url(procedure)}" autofocus>'
    assert link in body
    assert body.index(link) < body.index(reverse("intake:choose_procedure") + '"')
    assert "Tiếp nhận hồ sơ tiếp theo" in body

    # The form it opens is this procedure's, with nobody in it and a token not used yet.
    form = clerk_client.get(receive_url(procedure)).context["form"]
    assert form.procedure == procedure
    assert not form["applicant_name"].value() and not form["applicant_id_number"].value()
    assert form["token"].value() != outcome.context["reception"].token


def test_a_double_click_records_once(clerk_client, procedure):
    data = entered(procedure)
    first = clerk_client.post(receive_url(procedure), data)
    second = clerk_client.post(receive_url(procedure), data)
    assert first.status_code == second.status_code == 302
    assert first.url == second.url
    assert Reception.objects.count() == Dossier.objects.count() == 1


def test_incomplete_records_what_to_complete_and_shows_form_02(clerk_client, procedure):
    data = entered(
        procedure,
        outcome="incomplete",
        missing="Bản sao cần chứng thực — bản chụp không rõ nét\n\nBản chính giấy tờ: hết hạn\n",
        contact="Chị Hoa, 0271 3888 999",
        **{"doc-1-present": None},
    )
    response = clerk_client.post(receive_url(procedure), data, follow=True)

    reception = Reception.objects.get()
    assert reception.outcome == "incomplete"
    assert reception.missing == [
        {"document": "Bản sao cần chứng thực", "reason": "bản chụp không rõ nét"},
        {"document": "Bản chính giấy tờ", "reason": "hết hạn"},
    ]
    assert reception.contact == "Chị Hoa, 0271 3888 999"
    assert (reception.fee_total, reception.fees) == (0, [])
    assert not Dossier.objects.exists()
    body = response.content.decode()
    assert "bản chụp không rõ nét" in body
    assert reverse("intake:slip_pdf", args=[reception.token, "02"]) in body


def test_refusal_records_the_reasons_and_shows_form_03(clerk_client, procedure):
    data = entered(procedure, outcome="refused", reasons="Bản chính bị tẩy xóa, sửa chữa.")
    response = clerk_client.post(receive_url(procedure), data, follow=True)

    reception = Reception.objects.get()
    assert (reception.outcome, reception.reasons) == ("refused", "Bản chính bị tẩy xóa, sửa chữa.")
    assert reception.missing == [] and reception.contact == ""
    assert not Dossier.objects.exists()
    assert reverse("intake:slip_pdf", args=[reception.token, "03"]) in response.content.decode()


@pytest.mark.parametrize(
    ("changes", "stored"),
    [
        ({"applicant_phone": "+84 912 345 678"}, {"applicant_phone": "0912345678"}),
        ({"applicant_phone": "0912.345.678"}, {"applicant_phone": "0912345678"}),
        ({"applicant_phone": "0271 3888 999"}, {"applicant_phone": "02713888999"}),
        ({"applicant_id_number": "079 190 001 234"}, {"applicant_id_number": "079190001234"}),
        (
            {"applicant_kind": "organisation", "applicant_id_number": "0101234567-001"},
            {"applicant_kind": "organisation", "applicant_id_number": "0101234567-001"},
        ),
        (
            {
                "by_proxy": "on",
                "proxy_name": "Trần Văn Bình",
                "proxy_id_number": "070085001234",
                "proxy_phone": "+84987654321",
                "proxy_address": "Tổ 5, ấp Tân Hòa",
                "proxy_email": "binh@example.vn",
                "proxy_authorisation": "Giấy ủy quyền số 12/GUQ ngày 20/11/2026",
            },
            {
                "proxy_name": "Trần Văn Bình",
                "proxy_phone": "0987654321",
                "proxy_address": "Tổ 5, ấp Tân Hòa",
                "proxy_email": "binh@example.vn",
                "proxy_authorisation": "Giấy ủy quyền số 12/GUQ ngày 20/11/2026",
            },
        ),
        (
            {"proxy_name": "Không tích ủy quyền", "proxy_authorisation": "Không tích"},
            {"proxy_name": "", "proxy_authorisation": ""},
        ),
        (
            {"fee_exempt": "on", "fee_exemption_reason": "Người có công"},
            {"fee_total": 0, "fee_exemption_reason": "Người có công"},
        ),
        ({"fee_exemption_reason": "Không tích miễn"}, {"fee_total": 10000}),
        (
            {"channel": "postal", "return_method": "post", "return_address": "Ấp 3, Tân Tiến"},
            {"channel": "postal", "return_address": "Ấp 3, Tân Tiến"},
        ),
        ({"doc-2-present": None}, {"outcome": "accepted"}),  # optional document
    ],
)
def test_what_the_clerk_types_is_normalised_before_it_is_stored(
    clerk_client, procedure, changes, stored
):
    response = clerk_client.post(receive_url(procedure), entered(procedure, **changes))
    assert response.status_code == 302
    reception = Reception.objects.get()
    assert {name: getattr(reception, name) for name in stored} == stored


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"applicant_id_number": "07919000123"}, "applicant_id_number", "citizen_id_length"),
        ({"applicant_id_number": "07919000123a"}, "applicant_id_number", "citizen_id_length"),
        ({"applicant_id_number": "097190001234"}, "applicant_id_number", "citizen_id_province"),
        ({"applicant_id_number": "000190001234"}, "applicant_id_number", "citizen_id_province"),
        (
            {"applicant_kind": "organisation", "applicant_id_number": "079190001234"},
            "applicant_id_number",
            "tax_code",
        ),
        ({"applicant_id_number": ""}, "applicant_id_number", "required"),
        ({"applicant_phone": "091234567"}, "applicant_phone", "phone"),
        ({"applicant_phone": "1912345678"}, "applicant_phone", "phone"),
        ({"applicant_phone": "0212345678"}, "applicant_phone", "phone"),
        ({"applicant_email": "nhung@"}, "applicant_email", "invalid"),
        ({"applicant_name": "   "}, "applicant_name", "required"),
        ({"applicant_address": ""}, "applicant_address", "required"),
        ({"by_proxy": "on"}, "proxy_name", "proxy"),
        ({"by_proxy": "on", "proxy_name": "Bình"}, "proxy_id_number", "proxy"),
        (
            {
                "by_proxy": "on",
                "proxy_name": "Trần Văn Bình",
                "proxy_id_number": "070085001234",
                "proxy_phone": "0912345678",
            },
            "proxy_authorisation",
            "proxy",
        ),
        (
            {
                "by_proxy": "on",
                "proxy_name": "Trần Văn Bình",
                "proxy_id_number": "070085001234",
                "proxy_phone": "0912345678",
                "proxy_authorisation": "Giấy ủy quyền số 12",
                "proxy_email": "binh@",
            },
            "proxy_email",
            "invalid",
        ),
        (
            {
                "by_proxy": "on",
                "proxy_name": "B",
                "proxy_id_number": "12",
                "proxy_phone": "0912345678",
            },
            "proxy_id_number",
            "citizen_id_length",
        ),
        ({"fee_exempt": "on"}, "fee_exemption_reason", "exemption"),
        ({"return_method": "post"}, "return_address", "address"),
        ({"channel": "online"}, "channel", "invalid_choice"),
        ({"doc-0-originals": "-1"}, "doc-0-originals", "min_value"),
        ({"qty-page": "0"}, "qty-page", "min_value"),
        ({"outcome": "incomplete", "missing": "  "}, "missing", "missing"),
        (
            {"outcome": "incomplete", "missing": "Giấy tờ — thiếu", "contact": " "},
            "contact",
            "contact",
        ),
        ({"outcome": "incomplete", "missing": "Giấy tờ — thiếu"}, "contact", "contact"),
        ({"outcome": "incomplete", "missing": "Bản chính giấy tờ"}, "missing", "missing_reason"),
        ({"outcome": "refused", "reasons": ""}, "reasons", "reasons"),
        ({"outcome": None}, None, "outcome"),
        ({"token": None}, "token", "required"),
        ({"token": "not-a-uuid"}, "token", "invalid"),
    ],
)
def test_bad_input_is_marked_beside_its_field_and_nothing_is_saved(
    clerk_client, procedure, changes, field, code
):
    response = clerk_client.post(receive_url(procedure), entered(procedure, **changes))

    assert response.status_code == 200
    assert response.context["form"].has_error(field or "__all__", code)
    assert nothing_saved()
    assert "alert-danger" in response.content.decode()


def test_djangos_own_messages_read_in_plain_vietnamese(clerk_client, procedure):
    changes = {"applicant_email": "nhung@", "doc-0-originals": "-1", "qty-page": "x"}
    response = clerk_client.post(receive_url(procedure), entered(procedure, **changes))
    errors = response.context["form"].errors
    assert errors["applicant_email"] == [
        "Địa chỉ e-mail không hợp lệ (ví dụ đúng: ten@example.com)."
    ]
    assert errors["doc-0-originals"] == ["Giá trị phải lớn hơn hoặc bằng 0."]
    assert errors["qty-page"] == ["Hãy nhập một số nguyên."]


def test_accepting_without_a_required_document_says_to_record_it_as_incomplete(
    clerk_client, procedure
):
    data = entered(procedure, **{"doc-1-present": None})
    response = clerk_client.post(receive_url(procedure), data)

    assert response.status_code == 200
    errors = response.context["form"].errors["documents"]
    assert "Bản sao cần chứng thực" in errors[0]
    assert nothing_saved()
    # The same form (and token) can then be recorded as incomplete, whom to call as offered.
    offered = clerk_client.get(receive_url(procedure)).context["form"]["contact"].value()
    data.update(outcome="incomplete", missing="Bản sao cần chứng thực — chưa nộp", contact=offered)
    assert clerk_client.post(receive_url(procedure), data).status_code == 302
    assert Reception.objects.get().outcome == "incomplete"


def test_a_procedure_withdrawn_while_the_form_was_open_is_refused_with_a_message(
    clerk_client, procedure
):
    data = entered(procedure)
    procedure.status = "draft"
    procedure.save()

    response = clerk_client.post(receive_url(procedure), data)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert nothing_saved()


def test_a_form_already_used_at_another_unit_is_refused(clerk_client, procedure, elsewhere):
    data = entered(procedure, token=str(elsewhere["reception"].token))
    response = clerk_client.post(receive_url(procedure), data)
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert Reception.objects.count() == 1


# ------------------------------------------------------------------------------------------
# The outcome page


def test_another_units_reception_answers_404(clerk_client, elsewhere):
    url = reverse("intake:reception", args=[elsewhere["reception"].token])
    assert clerk_client.get(url).status_code == 404
    assert clerk_client.get(reverse("intake:reception", args=[uuid.uuid4()])).status_code == 404


def test_the_outcome_page_shows_an_exemption_instead_of_a_total(clerk_client, procedure):
    data = entered(procedure, fee_exempt="on", fee_exemption_reason="Hộ nghèo")
    response = clerk_client.post(receive_url(procedure), data, follow=True)
    body = response.content.decode()
    assert response.context["reception"].fee_total == 0
    assert "Hộ nghèo" in body
    assert "10.000 đồng" in body  # the breakdown stays
    assert 'fee-total">10.000 đồng' not in body


def _document_row(body: str, name: str) -> str:
    """The line of the documents table that names ``name`` (the scans' list names it too)."""
    table = body.split('id="documents-heading"', 1)[-1]
    return next(chunk for chunk in table.split("<tr") if name in chunk).split("</tr>")[0]


def test_an_optional_document_not_handed_in_reads_not_submitted_without_counts(
    clerk_client, procedure
):
    """Not as "missing" in red with the catalogue's counts "1 0 0", on the outcome page nor on
    the dossier page; a present document keeps its counts."""
    response = clerk_client.post(
        receive_url(procedure), entered(procedure, **{"doc-2-present": None}), follow=True
    )
    dossier = Dossier.objects.get()
    dossier_page = clerk_client.get(reverse("intake:dossier", args=[dossier.code]))
    for page in (response, dossier_page):
        row = _document_row(page.content.decode(), "Giấy ủy quyền")
        assert "còn thiếu" not in row and "text-danger" not in row
        assert "không nộp" in row
        assert re.findall(r'class="count"[^>]*>([^<]*)</td>', row) == ["không nộp"] + ["—"] * 4
        present = _document_row(page.content.decode(), "Bản sao cần chứng thực")
        assert re.findall(r'class="count"[^>]*>([^<]*)</td>', present) == ["✓", "0", "0", "2", "3"]


# ------------------------------------------------------------------------------------------
# The dossier page


def test_the_dossier_page_shows_applicant_documents_fees_due_history_and_slips(
    clerk_client, procedure
):
    clerk_client.post(receive_url(procedure), entered(procedure))
    dossier = Dossier.objects.get()

    response = clerk_client.get(reverse("intake:dossier", args=[dossier.code]))

    assert response.status_code == 200
    body = response.content.decode()
    assert dossier.code in body and "Nguyễn Thị Hồng Nhung" in body
    assert "Bản sao cần chứng thực" in body and "10.000 đồng" in body
    assert str(Status.ACCEPTED.label) in body
    assert dossier.due_explanation[0] in body
    assert [event.kind for event in response.context["events"]] == [EventKind.ACCEPTED]
    assert str(EventKind.ACCEPTED.label) in body
    assert reverse("intake:slip_pdf", args=[dossier.reception.token, "01"]) in body


def test_another_units_dossier_answers_404(clerk_client, elsewhere):
    url = reverse("intake:dossier", args=[elsewhere["reception"].dossier.code])
    assert clerk_client.get(url).status_code == 404
    assert (
        clerk_client.get(reverse("intake:dossier", args=["H15.50.05.13-000000-0000"])).status_code
        == 404
    )


def test_officers_of_the_competent_agency_see_only_their_departments_dossiers(client, elsewhere):
    # Issue 5: officers see the dossiers at their department's steps or assigned to them
    # (tests/intake/test_access.py); this dossier never reaches a department.
    officer = StaffProfileFactory(agency=elsewhere["agency"], user__roles=[Role.OFFICER]).user
    client.force_login(officer)
    url = reverse("intake:dossier", args=[elsewhere["reception"].dossier.code])
    assert client.get(url).status_code == 404


def test_the_dossier_page_is_closed_to_catalogue_editors(client, elsewhere):
    editor = StaffProfileFactory(
        agency=elsewhere["agency"], user__roles=[Role.CATALOGUE_EDITOR]
    ).user
    client.force_login(editor)
    url = reverse("intake:dossier", args=[elsewhere["reception"].dossier.code])
    assert client.get(url).status_code == 403


def test_the_dossier_page_query_count_is_fixed(client, elsewhere, django_assert_max_num_queries):
    client.force_login(elsewhere["clerk"])
    url = reverse("intake:dossier", args=[elsewhere["reception"].dossier.code])
    # Constant: the session, the user and profile, their groups (read at each role check),
    # the dossier (with four joins: its agencies and people then by primary key, two queries
    # whose plans cost less than the ten-table join did), its visits, consultations,
    # attachments, events, document lines, slips and pauses, the deadline watch's flags and
    # draft of form 04, the fees (account, payments), the navigation's badge (then kept
    # INBOX_BADGE_SECONDS) and the bell's unread count.
    with django_assert_max_num_queries(20):
        assert client.get(url).status_code == 200


def test_received_today_means_the_local_day(clerk_client, unit, clerk, procedure):
    yesterday = timezone.now() - timedelta(days=1)
    receive(
        ReceptionDataFactory(procedure=procedure),
        clerk=clerk,
        agency=unit,
        outcome="accepted",
        now=yesterday,
    )
    response = clerk_client.get(reverse("intake:counter"))
    assert response.context["accepted"] == []


def test_a_dossier_filed_by_proxy_shows_the_authorised_persons_details(clerk_client, procedure):
    proxy = {
        "by_proxy": "on",
        "proxy_name": "Trần Văn Bình",
        "proxy_id_number": "070085001234",
        "proxy_phone": "0987654321",
        "proxy_address": "Tổ 5, ấp Tân Hòa",
        "proxy_email": "binh@example.vn",
        "proxy_authorisation": "Giấy ủy quyền số 12/GUQ ngày 20/11/2026",
    }
    response = clerk_client.post(receive_url(procedure), entered(procedure, **proxy), follow=True)

    html = response.content.decode()
    for text in ("Tổ 5, ấp Tân Hòa", "binh@example.vn", "Giấy ủy quyền số 12/GUQ ngày 20/11/2026"):
        assert text in html
    assert "Văn bản ủy quyền" in html
