"""Satisfaction screens: the counter's tablet (kiosk page), the form of the public lookup page,
and the page of managers and department heads with the follow-ups of unhappy ratings."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils.translation import gettext, gettext_lazy

from intake.models import FollowUp, Rating
from intake.reports.satisfaction import Answers, rate
from tests.intake.journeys import AT, ready, returned, world

pytestmark = pytest.mark.django_db

LATER = AT.returned + timedelta(hours=1)
GOOD = {"overall": "5", "timeliness": "2", "attitude": "2", "visits": "2", "information": "2"}
BAD = {
    "overall": "1",
    "timeliness": "0",
    "attitude": "0",
    "visits": "0",
    "information": "1",
    "comment": "Phải đi lại nhiều lần",
}
CHOOSE_OVERALL = gettext_lazy("Choose how satisfied you are overall.")


@pytest.fixture
def w():
    return world()


@pytest.fixture(autouse=True)
def _at_the_return():
    """The pages ask the clock: an hour after the standard journey's return."""
    with time_machine.travel(LATER, tick=False):
        yield


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def kiosk(dossier) -> str:
    return f"/mot-cua/danh-gia/{dossier.code}/"


def rating_url(dossier) -> str:
    return f"{dossier.lookup_url()}danh-gia/"


# The counter's tablet.


def test_the_tablet_page_is_a_kiosk_for_the_applicant(w):
    dossier = returned(w)
    response = as_user(w.clerk).get(kiosk(dossier))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    assert dossier.code in html and 'method="post"' in html
    assert 'name="overall"' in html and 'name="timeliness"' in html and 'name="comment"' in html
    assert gettext("Very satisfied") in html
    # Nowhere to go and nothing about the staff or the applicant.
    assert "<a " not in html and "<nav" not in html
    for person in (w.clerk, w.officer, w.head, w.leader):
        assert person.username not in html and person.get_full_name() not in html
    assert "Nguyễn Thị Hồng Nhung" not in html and "Nguyễn Văn Bảy" not in html


def test_the_applicant_rates_on_the_tablet_and_is_thanked(w):
    dossier = returned(w)
    client = as_user(w.clerk)
    response = client.post(kiosk(dossier), GOOD | {"comment": "Nhanh, chu đáo"})
    assert response.status_code == 302 and response["Location"] == kiosk(dossier)
    rating = Rating.objects.get(dossier=dossier)
    assert (rating.channel, rating.recorded_by, rating.overall) == ("counter", w.clerk, 5)
    assert rating.comment == "Nhanh, chu đáo"
    page = client.get(kiosk(dossier)).content.decode()
    assert 'name="overall"' not in page
    # A second rating is not taken.
    again = client.post(kiosk(dossier), BAD)
    assert again.status_code == 200 and 'name="overall"' not in again.content.decode()
    assert Rating.objects.count() == 1 and not FollowUp.objects.exists()


def test_a_rating_without_its_overall_level_is_marked_and_not_saved(w):
    dossier = returned(w)
    response = as_user(w.clerk).post(kiosk(dossier), {**GOOD, "overall": ""})
    assert response.status_code == 200
    html = response.content.decode()
    assert str(CHOOSE_OVERALL) in html
    # What was chosen stays chosen.
    assert re.search(r'name="timeliness" value="2"[^>]*checked', html)
    bad = as_user(w.clerk).post(kiosk(dossier), {**GOOD, "attitude": "9"})
    assert bad.status_code == 200 and "invalid-feedback" in bad.content.decode()
    assert not Rating.objects.exists()


def test_only_a_clerk_of_the_returning_unit_opens_the_tablet_page(w):
    dossier = returned(w)
    for outsider in (w.district_clerk, w.other_clerk):
        assert as_user(outsider).get(kiosk(dossier)).status_code == 404
        assert as_user(outsider).post(kiosk(dossier), GOOD).status_code == 404
    for wrong_role in (w.officer, w.head, w.leader, w.manager):
        assert as_user(wrong_role).get(kiosk(dossier)).status_code == 403
        assert as_user(wrong_role).post(kiosk(dossier), GOOD).status_code == 403
    assert as_user(w.clerk).get("/mot-cua/danh-gia/KHONG-CO/").status_code == 404
    anonymous = Client().get(kiosk(dossier))
    assert anonymous.status_code == 302 and "/dang-nhap/" in anonymous["Location"]
    assert as_user(w.clerk).delete(kiosk(dossier)).status_code == 405
    assert not Rating.objects.exists()


def test_a_dossier_not_returned_has_nothing_to_rate_on_the_tablet(w):
    dossier = ready(w)
    response = as_user(w.clerk).post(kiosk(dossier), GOOD)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="overall"' not in html and "alert-warning" in html
    assert not Rating.objects.exists()


# Through the lookup link.


def test_the_lookup_page_of_a_returned_dossier_offers_the_form(w):
    dossier = returned(w)
    signed = Client().get(dossier.lookup_url()).content.decode()
    assert f'action="{rating_url(dossier)}"' in signed and 'name="overall"' in signed
    by_key = Client().post("/tra-cuu/", {"code": dossier.code, "key": dossier.lookup_key})
    assert f'action="{rating_url(dossier)}"' in by_key.content.decode()
    assert "02/12/2026" in signed  # rate until: 14 days after the return


def test_the_applicant_rates_through_the_lookup_link_once(w):
    dossier = returned(w)
    client = Client()
    response = client.post(rating_url(dossier), BAD)
    assert response.status_code == 302 and response["Location"] == dossier.lookup_url()
    rating = Rating.objects.get(dossier=dossier)
    assert (rating.channel, rating.recorded_by, rating.overall) == ("lookup", None, 1)
    assert rating.follow_up.is_open
    page = client.get(dossier.lookup_url()).content.decode()
    assert 'name="overall"' not in page and "alert-success" in page
    again = client.post(rating_url(dossier), GOOD)
    assert again.status_code == 302
    assert Rating.objects.count() == 1 and FollowUp.objects.count() == 1


def test_a_forged_link_rates_nothing(w):
    dossier = returned(w)
    forged = f"/tra-cuu/{dossier.code}/{dossier.signed_lookup_token()[:-2]}xx/danh-gia/"
    assert Client().post(forged, GOOD).status_code == 404
    assert Client().get(rating_url(dossier)).status_code == 405
    assert not Rating.objects.exists()


def test_bad_answers_through_the_lookup_link_are_marked_and_not_saved(w):
    dossier = returned(w)
    response = Client().post(rating_url(dossier), {**GOOD, "overall": "", "comment": "x" * 1001})
    assert response.status_code == 200
    html = response.content.decode()
    assert str(CHOOSE_OVERALL) in html and html.count("invalid-feedback") == 2
    assert not Rating.objects.exists()


def test_no_form_before_the_return_or_after_fourteen_days(w):
    not_returned = ready(w)
    page = Client().get(not_returned.lookup_url()).content.decode()
    assert 'name="overall"' not in page
    assert Client().post(rating_url(not_returned), GOOD).status_code == 302
    dossier = returned(w)
    with time_machine.travel(AT.returned + timedelta(days=14, seconds=1), tick=False):
        page = Client().get(dossier.lookup_url()).content.decode()
        assert 'name="overall"' not in page
        assert Client().post(rating_url(dossier), GOOD).status_code == 302
    assert not Rating.objects.exists()


# The satisfaction page and the follow-ups.


def unhappy(w):
    dossier = returned(w)
    rate(
        dossier,
        answers=Answers(
            **{k: int(v) for k, v in BAD.items() if k != "comment"}, comment=BAD["comment"]
        ),
        channel="lookup",
    )
    return dossier


def test_managers_see_the_aggregates_and_the_open_follow_ups(w, django_assert_max_num_queries):
    dossier = unhappy(w)
    rate(returned(w), answers=Answers(5, 2, 2, 2, 2), channel="counter", actor=w.clerk)
    manager = as_user(w.manager)
    with django_assert_max_num_queries(16):
        response = manager.get("/danh-gia/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Phòng Kinh tế - Hạ tầng" in html and w.procedure.name in html
    assert "Nguyễn Văn A" in html  # the officer
    assert dossier.code in html and "Phải đi lại nhiều lần" in html
    assert "50,0%" in html  # one of two satisfied
    assert f'action="/danh-gia/{dossier.code}/dong/"' not in html  # the head closes it


def test_the_head_closes_a_follow_up_with_a_note(w):
    dossier = unhappy(w)
    head = as_user(w.head)
    page = head.get("/danh-gia/").content.decode()
    assert f'action="/danh-gia/{dossier.code}/dong/"' in page
    empty = head.post(f"/danh-gia/{dossier.code}/dong/", {"note": "  "})
    assert empty.status_code == 400
    assert "invalid-feedback" in empty.content.decode()
    assert FollowUp.objects.get().is_open
    done = head.post(f"/danh-gia/{dossier.code}/dong/", {"note": "Đã liên hệ xin lỗi"})
    assert done.status_code == 302 and done["Location"] == "/danh-gia/"
    follow_up = FollowUp.objects.get()
    assert not follow_up.is_open and follow_up.note == "Đã liên hệ xin lỗi"
    assert f'action="/danh-gia/{dossier.code}/dong/"' not in head.get("/danh-gia/").content.decode()


def test_others_cannot_close_a_follow_up(w):
    dossier = unhappy(w)
    url = f"/danh-gia/{dossier.code}/dong/"
    assert as_user(w.other_head).post(url, {"note": "x"}).status_code == 404
    assert as_user(w.other_leader).post(url, {"note": "x"}).status_code == 404
    refused = as_user(w.manager).post(url, {"note": "x"})
    assert refused.status_code == 302
    assert as_user(w.clerk).post(url, {"note": "x"}).status_code == 403
    assert as_user(w.officer).get("/danh-gia/").status_code == 403
    assert as_user(w.head).get(url).status_code == 405
    assert Client().get("/danh-gia/").status_code == 302
    assert FollowUp.objects.get().is_open


def test_a_bad_period_is_marked_and_the_default_used(w):
    unhappy(w)
    response = as_user(w.manager).get("/danh-gia/", {"from": "31/02/2026", "to": "xyz"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("invalid-feedback") >= 2
    assert "Phải đi lại nhiều lần" in html
    empty = as_user(w.manager).get("/danh-gia/", {"from": "01/01/2025", "to": "31/01/2025"})
    assert "Phải đi lại nhiều lần" in empty.content.decode()  # the open follow-up stays
    assert empty.content.decode().count(gettext("No rating in this period.")) == 3


def test_the_statistics_dashboard_shows_satisfaction_beside_lateness(w):
    unhappy(w)
    rate(returned(w), answers=Answers(5, 2, 2, 2, 2), channel="counter", actor=w.clerk)
    day = LATER.date()
    response = as_user(w.manager).get(
        "/thong-ke/",
        {"period": "custom", "from": day.strftime("%d/%m/%Y"), "to": day.strftime("%d/%m/%Y")},
    )
    assert response.status_code == 200
    rows = response.context["report"].satisfaction
    assert [(row.label, row.count, row.unhappy) for row in rows] == [
        ("Phòng Kinh tế - Hạ tầng", 2, 1)
    ]
    assert "data-satisfaction" in response.content.decode()
