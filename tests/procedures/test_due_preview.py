"""The procedure page tells a citizen when the result would be due if they filed now."""

from datetime import datetime, time

import pytest
from django.urls import reverse
from django.utils import translation

from portal.calendar import forget_calendars, wording
from portal.deadlines import TIME_ZONE, VIETNAMESE
from procedures.models import ProcedureChannel
from tests.factories import ProcedureFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_calendars():
    forget_calendars()
    yield
    forget_calendars()


def vn(*args) -> datetime:
    return datetime(*args, tzinfo=TIME_ZONE)


@pytest.mark.parametrize(
    ("now", "in_person", "online"),
    [
        # Wednesday in office hours: 7 and 5 working days from that very minute.
        (vn(2026, 11, 25, 9, 30), vn(2026, 12, 4, 9, 30), vn(2026, 12, 2, 9, 30)),
        # Friday after the 15:00 cut-off: counted from Monday 07:00.
        (vn(2026, 11, 27, 16, 10), vn(2026, 12, 8, 17), vn(2026, 12, 4, 17)),
        # Sunday night: the same.
        (vn(2026, 11, 29, 2, 0), vn(2026, 12, 8, 17), vn(2026, 12, 4, 17)),
    ],
    ids=["office-hours", "after-cut-off", "weekend-night"],
)
def test_the_procedure_page_previews_the_due_date_of_each_channel(
    client, time_machine, now, in_person, online
):
    time_machine.move_to(now, tick=False)
    procedure = ProcedureFactory(code="1.004222", cutoff_time=time(15, 0), channels=[])
    ProcedureChannel.objects.create(
        procedure=procedure, channel="in_person", time_value=7, time_unit="working_days"
    )
    ProcedureChannel.objects.create(
        procedure=procedure, channel="online", time_value=5, time_unit="working_days"
    )
    response = client.get(reverse("procedures:detail", args=["1.004222"]))
    previews = response.context["due_previews"]
    assert [preview["channel"].channel for preview in previews] == ["in_person", "online"]
    assert [preview["result"].value for preview in previews] == [in_person, online]
    body = response.content.decode()
    assert all(preview["due_text"] in body for preview in previews)  # "17:00 thứ Ba 01/12/2026"
    assert body.count('<details class="small">') == 2
    assert "Hẹn trả kết quả:" in body
    assert "Thời hạn: 7 ngày làm việc (56 giờ làm việc)." in body
    assert reverse("portal:calendar") in body


def test_a_same_day_procedure_previews_today_or_the_next_working_day(client):
    procedure = ProcedureFactory(code="2.000815", cutoff_time=time(15, 0), channels=[])
    ProcedureChannel.objects.create(procedure=procedure, channel="in_person", time_unit="same_day")
    response = client.get(reverse("procedures:detail", args=["2.000815"]))
    (preview,) = response.context["due_previews"]
    assert preview["result"].explanation[-2] == "Thời hạn: trả trong ngày làm việc."
    assert preview["result"].value.time() == time(17, 0)


def test_the_english_page_explains_the_due_date_in_english(client, time_machine):
    # Friday after the 15:00 cut-off: counted from Monday 07:00.
    time_machine.move_to(vn(2026, 11, 27, 16, 10), tick=False)
    procedure = ProcedureFactory(code="1.004222", cutoff_time=time(15, 0), channels=[])
    ProcedureChannel.objects.create(
        procedure=procedure, channel="in_person", time_value=7, time_unit="working_days"
    )
    url = reverse("procedures:detail", args=["1.004222"])
    vietnamese = client.get(url)
    client.get("/ngon-ngu/en/", {"next": url})
    english = client.get(url)

    (preview,) = english.context["due_previews"]
    assert preview["result"].explanation == [
        "Received at 16:10 Friday 27/11/2026.",
        "Received after 15:00: counted from the next working day, 07:00 Monday 30/11/2026.",
        "Time limit: 7 working days (56 h of working time).",
        "Result expected at 17:00 Tuesday 08/12/2026.",
    ]
    assert preview["due_text"] == "17:00 Tuesday 08/12/2026"
    body = english.content.decode()
    assert "Result expected at 17:00 Tuesday 08/12/2026." in body
    assert "Hẹn trả kết quả" not in body and "thứ Ba" not in body
    # The same instant, and the Vietnamese page keeps the engine's Vietnamese words.
    (vi_preview,) = vietnamese.context["due_previews"]
    assert vi_preview["result"].value == preview["result"].value
    assert vi_preview["result"].explanation[-1] == "Hẹn trả kết quả: 17:00 thứ Ba 08/12/2026."
    assert vi_preview["due_text"] == "17:00 thứ Ba 08/12/2026"


def test_the_vietnamese_catalogue_gives_the_engines_own_words():
    """Each of ``wording()``'s words is translated to exactly what slips print."""
    with translation.override("vi"):
        assert wording() == VIETNAMESE
    with translation.override("en"):
        english = wording()
    assert all(
        getattr(english, name) != getattr(VIETNAMESE, name)
        for name in VIETNAMESE.__dataclass_fields__
    )
