"""factory_boy factories for the catalogue and staff; named traits for common shapes."""

import uuid
from datetime import date

import factory
from django.contrib.auth.models import Group, User

from intake.counter.reception import ReceptionData
from portal.models import StaffProfile
from procedures.models import (
    Agency,
    AgencyLevel,
    Department,
    FeeLine,
    Field,
    LegalBasis,
    Procedure,
    ProcedureChannel,
    RequiredDocument,
)


class AgencyLevelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgencyLevel
        django_get_or_create = ["code"]

    code = "commune"
    name = "Cấp xã"
    rank = 3


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency

    level = factory.SubFactory(AgencyLevelFactory)
    name = factory.Sequence(lambda n: f"Ủy ban nhân dân xã Thử Nghiệm {n}")
    short_name = factory.Sequence(lambda n: f"UBND xã Thử Nghiệm {n}")
    slug = factory.Sequence(lambda n: f"xa-thu-nghiem-{n}")
    electronic_id = factory.Sequence(lambda n: f"H99.01.{n:02d}")
    address = "Ấp 1, xã Thử Nghiệm"
    has_counter = True


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    agency = factory.SubFactory(AgencyFactory)
    code = factory.Sequence(lambda n: f"phong-{n}")
    name = factory.Sequence(lambda n: f"Phòng Thử nghiệm {n}")


class FieldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Field
        django_get_or_create = ["code"]

    code = "ho-tich"
    name = "Hộ tịch"


class ProcedureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Procedure
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"9.{n:06d}")
    name = factory.Sequence(lambda n: f"Thủ tục thử nghiệm số {n}")
    level = factory.SubFactory(AgencyLevelFactory)
    field = factory.SubFactory(FieldFactory)
    competent_authority = "Chủ tịch UBND cấp xã"
    steps = "Nộp hồ sơ tại Bộ phận Một cửa\nCông chức kiểm tra hồ sơ\nTrả kết quả"
    result = "Giấy chứng nhận"
    status = "published"

    class Params:
        draft = factory.Trait(status="draft")

    @factory.post_generation
    def channels(self, create, extracted, **kwargs):
        if not create:
            return
        for channel in extracted if extracted is not None else ["in_person"]:
            ProcedureChannel.objects.create(
                procedure=self, channel=channel, time_value=3, time_unit="working_days"
            )


class RequiredDocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RequiredDocument

    procedure = factory.SubFactory(ProcedureFactory)
    order = factory.Sequence(lambda n: n + 1)
    name = factory.Sequence(lambda n: f"Tờ khai số {n}")
    originals = 1


class FeeLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FeeLine

    procedure = factory.SubFactory(ProcedureFactory)
    amount = 75000
    unit = "dossier"
    effective_from = date(2020, 1, 1)
    resolution = "Nghị quyết 01/2020/NQ-HĐND"


class LegalBasisFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LegalBasis

    procedure = factory.SubFactory(ProcedureFactory)
    number = "123/2015/NĐ-CP"
    issued_on = date(2015, 11, 15)
    title = "Nghị định quy định chi tiết một số điều của Luật Hộ tịch"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"canbo{n}")
    first_name = "Văn A"
    last_name = "Nguyễn"
    password = factory.PostGenerationMethodCall("set_password", "mat-khau-thu-nghiem")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            for role in extracted:
                group, _ = Group.objects.get_or_create(name=role)
                self.groups.add(group)
        if create:
            self.save()


class StaffProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffProfile

    user = factory.SubFactory(UserFactory)
    agency = factory.SubFactory(AgencyFactory)


def received_dossier(*, agency=None, procedure=None, clerk=None, now=None, **entered):
    """An accepted dossier, made as the counter makes it: through
    ``intake.counter.reception.receive``.

    ``agency`` (a unit with a counter) receives ``procedure`` (published, in person) from an
    individual; ``clerk`` defaults to a new clerk of that unit; ``entered`` overrides what the
    clerk typed (any ``ReceptionData`` field).
    """
    import uuid

    from intake.counter.reception import ReceptionData, receive
    from intake.models import Outcome

    agency = agency or AgencyFactory()
    procedure = procedure or ProcedureFactory()
    procedure.agencies.add(agency)
    if clerk is None:
        clerk = StaffProfileFactory(agency=agency, user__roles=["clerk"]).user
    fields = {
        "token": uuid.uuid4(),
        "procedure": procedure,
        "channel": "in_person",
        "applicant_kind": "individual",
        "applicant_name": "Nguyễn Thị Hồng Nhung",
        "applicant_id_number": "079190001234",
        "applicant_address": "Tổ 3, ấp Tân Lập",
        "return_method": "counter",
        **entered,
    }
    reception = receive(
        ReceptionData(**fields), clerk=clerk, agency=agency, outcome=Outcome.ACCEPTED, now=now
    )
    return reception.dossier


class ClerkFactory(StaffProfileFactory):
    """A counter clerk (role ``clerk``) of a unit with a one-stop counter."""

    user = factory.SubFactory(UserFactory, roles=["clerk"])


class ReceptionDataFactory(factory.Factory):
    """What a clerk enters at the counter (``intake.counter.reception.ReceptionData``), every
    required document present: pass it to ``receive`` with the outcome wanted."""

    class Meta:
        model = ReceptionData

    token = factory.LazyFunction(uuid.uuid4)
    procedure = factory.SubFactory(ProcedureFactory)
    channel = "in_person"
    applicant_kind = "individual"
    applicant_name = "Trần Văn Bình"
    applicant_id_number = "070085001234"
    applicant_phone = "0912345678"
    applicant_address = "Khu phố Tân Hiệp, thị trấn Thanh Bình"
    return_method = "counter"
    documents = factory.LazyAttribute(
        lambda data: [
            {
                "name": document.name,
                "required": document.is_required,
                "originals": document.originals,
                "certified_copies": document.certified_copies,
                "photocopies": document.photocopies,
                "pages": None,
                "present": True,
            }
            for document in data.procedure.documents.all()
        ]
    )


def copy_certification_fees(procedure, description="Phí chứng thực bản sao") -> None:
    """The fee of Chứng thực bản sao từ bản chính on ``procedure``: 2.000 đồng/trang for pages 1
    and 2, 1.000 đồng/trang from page 3, at most 200.000 đồng per copy."""
    FeeLineFactory(
        procedure=procedure, kind="fee", amount=2000, unit="page", description=description
    )
    FeeLineFactory(
        procedure=procedure,
        kind="fee",
        amount=1000,
        unit="page",
        from_quantity=3,
        cap=200000,
        cap_unit="copy",
    )


class ProcessStepFactory(factory.django.DjangoModelFactory):
    """A step of a procedure's default process: by default the counter receives, in 4 working
    hours; traits ``officer`` (the department examines) and ``leader`` (the leader signs)."""

    class Meta:
        model = "procedures.ProcessStep"

    procedure = factory.SubFactory(ProcedureFactory)
    order = factory.Sequence(lambda n: n + 1)
    name = "Tiếp nhận hồ sơ"
    level = factory.SubFactory(AgencyLevelFactory)
    department_code = ""
    role = "clerk"
    budget_value = 4
    budget_unit = "working_hours"
    forms = "Mẫu 01; Mẫu 06"

    class Params:
        officer = factory.Trait(
            name="Thẩm định, đề xuất",
            department_code="tu-phap-ho-tich",
            role="officer",
            forms="Mẫu 02 (khi cần bổ sung)",
        )
        leader = factory.Trait(name="Phê duyệt, ký kết quả", role="leader", forms="")


def two_level_world(*, supplement_policy: str = "pause", days: int = 5):
    """A district and one of its communes with the people of an inter-level journey.

    The district decides a district-level procedure (``days`` working days) that the commune's
    counter receives and returns: commune counter 4 h → district department “kinh-te-ha-tang”
    (officer) → its head checks 4 h → the district leader signs 4 h → commune counter 4 h; the
    officer's step takes the rest. Returns a ``types.SimpleNamespace`` with ``district``,
    ``commune``, ``department``, ``procedure`` and the users ``clerk`` (commune counter),
    ``head``, ``officer``, ``leader`` (district), ``commune_leader``, ``district_clerk``, and
    ``receive()`` which accepts a dossier at the commune counter (``receive(now=…)``).
    """
    from types import SimpleNamespace

    district_level = AgencyLevelFactory(code="district", name="Cấp huyện", rank=2)
    commune_level = AgencyLevelFactory(code="commune", name="Cấp xã", rank=3)
    district = AgencyFactory(
        level=district_level, name="Ủy ban nhân dân huyện Thử Nghiệm", slug="huyen-thu-nghiem"
    )
    commune = AgencyFactory(level=commune_level, parent=district)
    department = DepartmentFactory(
        agency=district, code="kinh-te-ha-tang", name="Phòng Kinh tế - Hạ tầng"
    )
    procedure = ProcedureFactory(
        level=district_level, supplement_policy=supplement_policy, channels=[]
    )
    ProcedureChannel.objects.create(
        procedure=procedure, channel="in_person", time_value=days, time_unit="working_days"
    )
    procedure.agencies.add(commune, district)
    officer_hours = days * 8 - 16
    for order, (level, code, role, hours) in enumerate(
        [
            (commune_level, "", "clerk", 4),
            (district_level, "kinh-te-ha-tang", "officer", officer_hours),
            (district_level, "kinh-te-ha-tang", "department_head", 4),
            (district_level, "", "leader", 4),
            (commune_level, "", "clerk", 4),
        ],
        start=1,
    ):
        ProcessStepFactory(
            procedure=procedure,
            order=order,
            level=level,
            department_code=code,
            role=role,
            budget_value=hours,
            budget_unit="working_hours",
        )

    def person(agency, roles, department=None, username=None):
        user = UserFactory(roles=roles, **({"username": username} if username else {}))
        StaffProfileFactory(user=user, agency=agency, department=department)
        return user

    world = SimpleNamespace(
        district=district,
        commune=commune,
        department=department,
        procedure=procedure,
        clerk=person(commune, ["clerk"]),
        head=person(district, ["department_head"], department),
        officer=person(district, ["officer"], department),
        leader=person(district, ["leader"]),
        commune_leader=person(commune, ["leader"]),
        district_clerk=person(district, ["clerk"]),
    )
    world.receive = lambda **kwargs: received_dossier(
        agency=commune, procedure=procedure, clerk=world.clerk, **kwargs
    )
    return world


def acknowledge_messages(messages, at) -> None:
    """The national portal takes these outbox messages at ``at``: recorded as the delivery
    records an acknowledgement (``intake.national.outbox.acknowledge``), with the dossier's
    facts of indicator 1.4."""
    from intake.national.outbox import acknowledge

    for message in messages.filter(acknowledged_at__isnull=True).order_by("pk"):
        acknowledge(message, at)
