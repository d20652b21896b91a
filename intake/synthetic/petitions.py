"""The generated petitions (``docs/generate_dossiers.md``, "Petitions"): feedback received over
the run's period by the agencies whose counters took the dossiers, by every channel, about a
procedure, one of the run's dossiers or an official's conduct, carried through the steps of
``intake/petitions/verbs.py`` up to the present — rejected or forwarded by the office, or
classified, assigned, perhaps clarified, drafted (a draft sometimes sent back), approved and
published, most on time, some late — and rated by some senders, a few "not satisfied" with the
follow-up it opens (closed by the head for most of the older ones).

Each step writes the event its verb writes (kind, actor, instant, statuses, public flag, note,
data) and the petition the fields it sets; rows go in with ``bulk_create``. The deadline
watch's flags and events are left to the watch.
"""

from __future__ import annotations

import random
from bisect import bisect_left
from collections import Counter
from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from intake.models import (
    Dossier,
    Petition,
    PetitionChannel,
    PetitionClass,
    PetitionEvent,
    PetitionEventKind,
    PetitionFollowUp,
    PetitionStatus,
    Rated,
    Sequence,
    Subject,
)
from intake.petitions.public import redact
from intake.petitions.verbs import limits, publish_limit
from intake.synthetic.people import People
from portal.calendar import get_calendar
from portal.deadlines import add_working_time, is_late
from portal.models import Role, StaffProfile
from portal.text import fold
from procedures.models import Agency, Department

# Illustrative (docs/generate_dossiers.md): petitions per generated dossier (at least a
# demo's worth), channels, what they are about, the office's outcomes, lateness, ratings.
PER_DOSSIER = 1 / 40
AT_LEAST = 24
CHANNELS = (
    (PetitionChannel.WEB, 45),
    (PetitionChannel.PHONE, 20),
    (PetitionChannel.PAPER, 20),
    (PetitionChannel.IN_PERSON, 15),
)
SUBJECTS = ((Subject.PROCEDURE, 45), (Subject.DOSSIER, 35), (Subject.CONDUCT, 20))
REJECTED_SHARE = 0.06
FORWARDED_SHARE = 0.07
CONDUCT_CLASS_SHARE = 0.25  # of those about a procedure or dossier, classed as conduct
CLARIFY_SHARE = 0.08
RETURNED_SHARE = 0.06
LATE_ANSWER_SHARE = 0.12
LATE_PUBLISH_SHARE = 0.05
LATE_OFFICE_SHARE = 0.1  # rejections and forwardings past their limit
RATED_SHARE = 0.5
UNSATISFIED_SHARE = 0.15
FOLLOW_UP_CLOSED_SHARE = 0.6
DAY = 8.0  # office hours in a working day

TITLES = {
    Subject.PROCEDURE: (
        "Đề nghị rút ngắn thời gian giải quyết thủ tục",
        "Thành phần hồ sơ chưa rõ ràng",
        "Kiến nghị bỏ yêu cầu nộp bản sao có chứng thực",
        "Mẫu tờ khai khó điền",
        "Đề nghị công khai đầy đủ phí, lệ phí",
    ),
    Subject.DOSSIER: (
        "Hồ sơ trễ hẹn chưa nhận được thư xin lỗi",
        "Hồ sơ bị yêu cầu bổ sung nhiều lần",
        "Chưa nhận được kết quả qua bưu điện",
        "Thông tin tra cứu hồ sơ không cập nhật",
    ),
    Subject.CONDUCT: (
        "Thái độ tiếp công dân chưa đúng mực",
        "Cán bộ hướng dẫn không nhất quán",
        "Phải chờ lâu tại quầy tiếp nhận",
    ),
}
CONTENT = (
    "Tôi là {name}, địa chỉ {address}. {title}. Đề nghị cơ quan xem xét, trả lời cho tôi "
    "biết hướng giải quyết.",
    "{title}. Tôi đã liên hệ qua số {phone} nhưng chưa được hướng dẫn cụ thể. Kính đề nghị "
    "cơ quan kiểm tra và phản hồi.",
    "Kính gửi cơ quan: {title}. Rất mong nhận được câu trả lời sớm.",
)
ANSWERS = (
    "Cơ quan đã kiểm tra nội dung phản ánh. Thủ tục được thực hiện theo đúng quy định hiện "
    "hành; bộ phận một cửa sẽ hướng dẫn cụ thể hơn tại quầy và trên Cổng.",
    "Qua kiểm tra, phản ánh là đúng. Cơ quan đã chấn chỉnh, nhắc nhở công chức liên quan và "
    "xin lỗi ông/bà vì sự bất tiện.",
    "Kiến nghị của ông/bà đã được ghi nhận và tổng hợp gửi cơ quan có thẩm quyền xem xét sửa "
    "đổi quy định.",
)
REJECTIONS = (
    "Nội dung không phải là phản ánh, kiến nghị về quy định hành chính.",
    "Nội dung đã được trả lời tại phản ánh trước đó của ông/bà.",
)
FORWARD_NOTES = ("Nội dung thuộc thẩm quyền giải quyết của cơ quan cấp trên.",)
QUESTIONS = ("Đề nghị ông/bà cho biết mã hồ sơ và thời điểm nộp hồ sơ.",)
CLARIFICATIONS = ("Tôi nộp hồ sơ vào tuần trước tại bộ phận một cửa.",)
RETURN_NOTES = ("Đề nghị bổ sung căn cứ pháp lý trong câu trả lời.",)
COMMENTS = ("Câu trả lời chưa giải quyết được vấn đề của tôi.", "")
FOLLOW_UP_NOTES = ("Đã gặp trực tiếp người phản ánh, giải thích và hướng dẫn lại.",)
ALPHABET = Petition.LOOKUP_ALPHABET


def _pools() -> dict[tuple, list[int]]:
    """Active staff by (role, agency id, department id or None)."""
    roles: dict[int, set[str]] = {}
    memberships = get_user_model().groups.through.objects.filter(group__name__in=Role.values)
    for user_id, role in memberships.values_list("user_id", "group__name"):
        roles.setdefault(user_id, set()).add(role)
    pools: dict[tuple, list[int]] = {}
    profiles = StaffProfile.objects.filter(user__is_active=True).order_by("user__username")
    for user_id, agency_id, department_id in profiles.values_list(
        "user_id", "agency_id", "department_id"
    ):
        for role in sorted(roles.get(user_id, ())):
            pools.setdefault((role, agency_id, None), []).append(user_id)
            if department_id is not None:
                pools.setdefault((role, agency_id, department_id), []).append(user_id)
    return pools


class _Petitions:
    def __init__(self, since: int, now: datetime, rng: random.Random):
        self.now = now
        self.rng = rng
        self.people = People(rng)
        self.pools = _pools()
        self.calendars: dict[int, object] = {}
        made = (
            Dossier.objects.filter(pk__gt=since)
            .values("receiving_agency_id")
            .annotate(n=Count("pk"))
            .order_by("receiving_agency_id")
        )
        self.agencies = []
        for row in made:
            agency_id = row["receiving_agency_id"]
            office = self.pools.get((Role.CLERK, agency_id, None))
            leaders = self.pools.get((Role.LEADER, agency_id, None))
            if office and leaders:
                self.agencies.append((agency_id, row["n"]))
        self.names = dict(Agency.objects.values_list("pk", "name"))
        self.objects = {agency.pk: agency for agency in Agency.objects.all()}
        self.departments: dict[int, list[int]] = {}
        for pk, agency_id in Department.objects.order_by("pk").values_list("pk", "agency_id"):
            if self.pools.get((Role.OFFICER, agency_id, pk)):
                self.departments.setdefault(agency_id, []).append(pk)
        # A sample of the run's dossiers (every ``stride``-th, at most about 50,000), per
        # agency in the order of acceptance, for the petitions about a dossier.
        self.dossiers: dict[int, list[tuple]] = {}
        self.accepted: dict[int, list[datetime]] = {}
        made_count = sum(row["n"] for row in made)
        stride = max(1, made_count // 50_000)
        sample = (
            Dossier.objects.filter(pk__gt=since, accepted_at__isnull=False)
            .order_by("pk")
            .values_list(
                "receiving_agency_id", "pk", "procedure_id", "accepted_at", "code", "lookup_key"
            )
        )
        for index, row in enumerate(sample.iterator(chunk_size=5000)):
            if index % stride == 0:
                self.dossiers.setdefault(row[0], []).append(row[1:])
        for agency_id, rows in self.dossiers.items():
            rows.sort(key=lambda row: row[2])
            self.accepted[agency_id] = [row[2] for row in rows]

    def dossier_before(self, agency_id: int, instant: datetime) -> Dossier | None:
        """One of the agency's sampled dossiers accepted before ``instant`` (None if none):
        what a petition needs of it (``redact`` removes its code and key)."""
        count = bisect_left(self.accepted.get(agency_id, ()), instant)
        if not count:
            return None
        pk, procedure_id, _accepted, code, key = self.dossiers[agency_id][self.rng.randrange(count)]
        return Dossier(pk=pk, code=code, lookup_key=key, procedure_id=procedure_id)

    def after(self, instant: datetime, days: float, agency_id: int) -> datetime:
        calendar = self.calendars.get(agency_id)
        if calendar is None:
            calendar = self.calendars[agency_id] = get_calendar(agency_id)
        moved = add_working_time(instant, timedelta(hours=DAY * days), calendar)
        return moved.replace(microsecond=0)


def generate_petitions(*, since: int, count: int, first_day, now: datetime, seed: str) -> Counter:
    """About ``count`` petitions received from ``first_day`` to ``now``; rows per table."""
    rng = random.Random(f"{seed}:petitions")
    world = _Petitions(since, now, rng)
    if not world.agencies:
        return Counter()
    agencies = [agency for agency, _n in world.agencies]
    weights = [n for _agency, n in world.agencies]
    span = (now - timezone.make_aware(datetime.combine(first_day, time(0)))).total_seconds()
    drafts = []
    for _ in range(count):
        agency_id = rng.choices(agencies, weights)[0]
        instant = now - timedelta(seconds=rng.uniform(0, span))
        received = world.after(instant, 0, agency_id)
        if rng.random() < 0.5:  # some petitions arrive in the middle of the office day
            received = world.after(received, rng.uniform(0, 0.9), agency_id)
        if received >= now:
            continue
        drafts.append(_draw(world, agency_id, received))
    drafts.sort(key=lambda drawn: drawn[0].received_at)
    counters: dict[str, int] = {}
    for petition, _events, _follow_up in drafts:
        day = timezone.localtime(petition.received_at).strftime("%y%m%d")
        key = f"petition:{day}"
        if key not in counters:
            stored = Sequence.objects.filter(name=key).values_list("value", flat=True).first()
            counters[key] = stored or 0
        counters[key] += 1
        petition.code = f"PA-{day}-{counters[key]:04d}"
        if petition.status == PetitionStatus.PUBLISHED:
            petition.search_text = fold(
                " ".join(
                    [
                        petition.code,
                        petition.public_title,
                        petition.public_content,
                        petition.public_answer,
                        world.names[petition.agency_id],
                    ]
                )
            )
    with transaction.atomic():
        petitions = [petition for petition, _events, _follow in drafts]
        Petition.objects.bulk_create(petitions, batch_size=1000)
        events, follow_ups = [], []
        for petition, drawn_events, follow_up in drafts:
            for event in drawn_events:
                event.petition_id = petition.pk
                events.append(event)
            if follow_up is not None:
                follow_up.petition_id = petition.pk
                follow_ups.append(follow_up)
        PetitionEvent.objects.bulk_create(events, batch_size=2000)
        PetitionFollowUp.objects.bulk_create(follow_ups, batch_size=1000)
        for key, value in counters.items():
            Sequence.objects.update_or_create(name=key, defaults={"value": value})
    return Counter(
        {"petitions": len(petitions), "petition events": len(events), "follow-ups": len(follow_ups)}
    )


def _draw(world: _Petitions, agency_id: int, received: datetime):
    """One petition and its events, carried out up to ``world.now``."""
    rng, now = world.rng, world.now
    channel = rng.choices(*zip(*CHANNELS, strict=True))[0]
    subject = rng.choices(*zip(*SUBJECTS, strict=True))[0]
    sender = world.people.individual(world.names[agency_id])
    phone = sender.phone or (world.people.phone() if not sender.email else "")
    office = world.pools[(Role.CLERK, agency_id, None)]
    leaders = world.pools[(Role.LEADER, agency_id, None)]
    clerk = rng.choice(office)
    procedure_id = None
    dossier = world.dossier_before(agency_id, received) if subject != Subject.CONDUCT else None
    if dossier is not None:
        procedure_id = dossier.procedure_id
        if subject == Subject.PROCEDURE:
            dossier = None
    elif subject == Subject.DOSSIER:
        subject = Subject.CONDUCT
    title = rng.choice(TITLES[subject])
    content = rng.choice(CONTENT).format(
        name=sender.name, address=sender.address, phone=phone or sender.email, title=title
    )
    petition = Petition(
        lookup_key="".join(rng.choice(ALPHABET) for _ in range(8)),
        agency_id=agency_id,
        channel=channel,
        sender_name=sender.name,
        sender_address=sender.address,
        sender_phone=phone,
        sender_email=sender.email,
        contact_confirmed=channel == PetitionChannel.WEB,
        subject=subject,
        procedure_id=procedure_id,
        dossier=dossier,
        title=title,
        content=content,
        received_at=received,
        received_by_id=None if channel == PetitionChannel.WEB else clerk,
        **limits(world.objects[agency_id], received),
    )
    petition.due_at = petition.forward_due_at
    events: list[PetitionEvent] = []
    follow_up = None

    def step(kind, actor, at, **extra) -> PetitionEvent | None:
        """The step's event at ``at`` if it has happened (None once the present is reached)."""
        if at >= now:
            return None
        before = events[-1].to_status if events else ""
        return PetitionEvent(kind=kind, actor_id=actor, at=at, from_status=before, **extra)

    def done(event: PetitionEvent, status: str) -> None:
        event.to_status = status
        petition.status = status
        events.append(event)

    taken = step(
        PetitionEventKind.RECEIVED,
        petition.received_by_id,
        received,
        data={"channel": channel, "files": 0},
    )
    done(taken, PetitionStatus.RECEIVED)
    fate = rng.random()
    late = rng.random() < LATE_OFFICE_SHARE
    if fate < REJECTED_SHARE + FORWARDED_SHARE:
        rejecting = fate < REJECTED_SHARE
        limit = 2 if rejecting else 5
        days = rng.uniform(limit + 0.3, limit + 3) if late else rng.uniform(0.1, limit - 0.2)
        at = world.after(received, days, agency_id)
        if rejecting:
            note = rng.choice(REJECTIONS)
            taken = step(PetitionEventKind.REJECTED, clerk, at, note=note)
        else:
            note = rng.choice(FORWARD_NOTES)
            others = [pk for pk in world.names if pk != agency_id]
            target = world.objects[agency_id].parent_id or rng.choice(others)
            taken = step(PetitionEventKind.FORWARDED, clerk, at, note=note)
        if not taken:
            return petition, events, None
        petition.classification = PetitionClass.OUTSIDE
        petition.classified_at = at
        petition.reasons = note
        petition.finished_at = at
        petition.on_time = not is_late(
            at, petition.reject_due_at if rejecting else petition.forward_due_at
        )
        petition.due_at = None
        taken.data = {"on_time": petition.on_time}
        if rejecting:
            done(taken, PetitionStatus.REJECTED)
        else:
            petition.forwarded_to_id = target
            taken.data = {"to_agency": target, "on_time": petition.on_time}
            done(taken, PetitionStatus.FORWARDED)
        return petition, events, None
    # Classified, assigned, answered.
    classification = (
        PetitionClass.CONDUCT
        if subject == Subject.CONDUCT or rng.random() < CONDUCT_CLASS_SHARE
        else PetitionClass.REGULATION
    )
    at = world.after(received, rng.uniform(0.05, 1.5), agency_id)
    taken = step(PetitionEventKind.CLASSIFIED, clerk, at, data={"class": classification})
    if not taken:
        return petition, events, None
    petition.classification, petition.classified_at = classification, at
    petition.due_at = petition.answer_due_at
    done(taken, PetitionStatus.CLASSIFIED)
    department = rng.choice(world.departments.get(agency_id) or [None])
    if department is None:
        return petition, events, None  # no department to answer: it waits to be assigned
    at = world.after(at, rng.uniform(0.05, 1), agency_id)
    taken = step(
        PetitionEventKind.ASSIGNED, rng.choice(leaders), at, data={"department": department}
    )
    if not taken:
        return petition, events, None
    petition.department_id = department
    done(taken, PetitionStatus.ASSIGNED)
    officers = world.pools[(Role.OFFICER, agency_id, department)]
    heads = world.pools.get((Role.DEPARTMENT_HEAD, agency_id, department)) or leaders
    officer = rng.choice(officers)
    if rng.random() < CLARIFY_SHARE:
        at = world.after(at, rng.uniform(0.2, 3), agency_id)
        question = rng.choice(QUESTIONS)
        taken = step(
            PetitionEventKind.CLARIFICATION_ASKED,
            officer,
            at,
            note=question,
            data={"back_to": PetitionStatus.ASSIGNED},
        )
        if not taken:
            return petition, events, None
        petition.clarification_question = question
        petition.clarification_asked_at = at
        done(taken, PetitionStatus.CLARIFYING)
        at = world.after(at, rng.uniform(0.3, 4), agency_id)
        text = rng.choice(CLARIFICATIONS)
        taken = step(PetitionEventKind.CLARIFIED, None, at, note=text)
        if not taken:
            return petition, events, None
        petition.clarification = text
        done(taken, PetitionStatus.ASSIGNED)
    late_answer = rng.random() < LATE_ANSWER_SHARE
    approve_days = rng.uniform(15.3, 24) if late_answer else rng.uniform(3, 14.6)
    approve_at = max(world.after(received, approve_days, agency_id), at + timedelta(hours=3))
    returned = rng.random() < RETURNED_SHARE
    answer = rng.choice(ANSWERS)
    first_draft = approve_at - timedelta(hours=rng.uniform(2, 30) if not returned else 40)
    at = max(first_draft, at + timedelta(minutes=30))
    taken = step(PetitionEventKind.DRAFTED, officer, at, is_public=False)
    if not taken:
        return petition, events, None
    petition.answer = answer + (" (dự thảo)" if returned else "")
    done(taken, PetitionStatus.DRAFTED)
    if returned:
        at = at + timedelta(hours=rng.uniform(1, 8))
        note = rng.choice(RETURN_NOTES)
        taken = step(
            PetitionEventKind.DRAFT_RETURNED, rng.choice(leaders), at, note=note, is_public=False
        )
        if not taken:
            return petition, events, None
        done(taken, PetitionStatus.ASSIGNED)
        at = at + timedelta(hours=rng.uniform(1, 16))
        taken = step(PetitionEventKind.DRAFTED, officer, at, is_public=False)
        if not taken:
            return petition, events, None
        petition.answer = answer
        done(taken, PetitionStatus.DRAFTED)
    at = max(approve_at, at + timedelta(minutes=30))
    leader = rng.choice(leaders)
    taken = step(
        PetitionEventKind.APPROVED, leader, at, data={"late": is_late(at, petition.answer_due_at)}
    )
    if not taken:
        return petition, events, None
    petition.approved_at, petition.approved_by_id = at, leader
    petition.publish_due_at = publish_limit(world.objects[agency_id], at)
    petition.due_at = petition.publish_due_at
    done(taken, PetitionStatus.APPROVED)
    late_publish = rng.random() < LATE_PUBLISH_SHARE
    days = rng.uniform(2.3, 4) if late_publish else rng.uniform(0.05, 1.8)
    at = world.after(at, days, agency_id)
    taken = step(PetitionEventKind.PUBLISHED, clerk, at)
    if not taken:
        return petition, events, None
    petition.public_title = redact(petition.title, petition)[:200]
    petition.public_content = redact(petition.content, petition)
    petition.public_answer = redact(petition.answer, petition)
    petition.finished_at = at
    petition.on_time = (
        not is_late(petition.approved_at, petition.answer_due_at)
        and not is_late(at, petition.publish_due_at)
        and (
            petition.clarification_asked_at is None
            or not is_late(petition.clarification_asked_at, petition.clarify_due_at)
        )
    )
    petition.due_at = None
    taken.data = {"on_time": petition.on_time}
    done(taken, PetitionStatus.PUBLISHED)
    if rng.random() >= RATED_SHARE:
        return petition, events, None
    at = at + timedelta(hours=rng.uniform(2, 240))
    rated = Rated.UNSATISFIED if rng.random() < UNSATISFIED_SHARE else Rated.SATISFIED
    comment = rng.choice(COMMENTS) if rated == Rated.UNSATISFIED else ""
    taken = step(
        PetitionEventKind.RATED,
        None,
        at,
        note=comment,
        data={"rated": rated, "follow_up": rated == Rated.UNSATISFIED},
    )
    if not taken:
        return petition, events, None
    petition.rated, petition.rated_at, petition.rating_comment = rated, at, comment
    done(taken, PetitionStatus.PUBLISHED)
    if rated == Rated.UNSATISFIED:
        follow_up = PetitionFollowUp(agency_id=agency_id, department_id=department, opened_at=at)
        closed = world.after(at, rng.uniform(1, 8), agency_id)
        if rng.random() < FOLLOW_UP_CLOSED_SHARE:
            head = rng.choice(heads)
            note = rng.choice(FOLLOW_UP_NOTES)
            taken = step(
                PetitionEventKind.FOLLOW_UP_CLOSED, head, closed, note=note, is_public=False
            )
            if taken:
                follow_up.closed_at, follow_up.closed_by_id, follow_up.note = closed, head, note
                done(taken, PetitionStatus.PUBLISHED)
    return petition, events, follow_up
