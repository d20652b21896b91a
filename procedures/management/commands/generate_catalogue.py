"""A synthetic catalogue at scale, for benchmarks: ``generate_catalogue --procedures 5000``.

Procedure number i gets the code ``8.00000i`` (national codes start with 1, 2 or 3, so these
never collide with real ones) and content drawn from a random generator seeded with
``--seed`` and i: the same procedure whatever N is, and a re-run skips codes already there.
Agencies are reused when there are any (the demo's, for instance); otherwise a synthetic
province → district → communes tree is created. Procedures are written with ``bulk_create``
in batches, each batch in its own transaction, so an interrupted run can simply be repeated.
"""

import random
import sys
import time as clock
from datetime import date, time

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _
from tqdm import tqdm

from procedures.fragments import bump_catalogue_version
from procedures.models import (
    Agency,
    AgencyLevel,
    FeeLine,
    Field,
    LegalBasis,
    Procedure,
    ProcedureChannel,
    RequiredDocument,
)

CODE_PREFIX = "8."
BATCH_SIZE = 500
MAX_AGENCIES_PER_PROCEDURE = 10

# Field code, name, and procedure names in that field (real names, or close to them).
FIELDS = [
    ("ho-tich", "Hộ tịch", [
        "Đăng ký khai sinh", "Đăng ký lại khai sinh", "Đăng ký kết hôn", "Đăng ký lại kết hôn",
        "Đăng ký khai tử", "Đăng ký lại khai tử", "Đăng ký giám hộ", "Đăng ký chấm dứt giám hộ",
        "Đăng ký nhận cha, mẹ, con", "Đăng ký thay đổi, cải chính, bổ sung thông tin hộ tịch",
        "Cấp bản sao trích lục hộ tịch", "Cấp Giấy xác nhận tình trạng hôn nhân",
        "Ghi vào Sổ hộ tịch việc hộ tịch đã giải quyết ở nước ngoài",
    ]),
    ("chung-thuc", "Chứng thực", [
        "Chứng thực bản sao từ bản chính giấy tờ, văn bản",
        "Chứng thực chữ ký trong giấy tờ, văn bản", "Chứng thực chữ ký người dịch",
        "Chứng thực hợp đồng, giao dịch liên quan đến tài sản là động sản",
        "Chứng thực hợp đồng, giao dịch liên quan đến quyền sử dụng đất", "Chứng thực di chúc",
        "Chứng thực văn bản thỏa thuận phân chia di sản",
        "Chứng thực việc sửa đổi, bổ sung, hủy bỏ hợp đồng, giao dịch",
        "Sửa lỗi sai sót trong hợp đồng, giao dịch đã được chứng thực",
        "Cấp bản sao có chứng thực từ bản chính hợp đồng, giao dịch đã được chứng thực",
    ]),
    ("cu-tru", "Đăng ký, quản lý cư trú", [
        "Đăng ký thường trú", "Đăng ký tạm trú", "Gia hạn tạm trú", "Xóa đăng ký thường trú",
        "Xóa đăng ký tạm trú", "Tách hộ", "Khai báo tạm vắng", "Thông báo lưu trú",
        "Điều chỉnh thông tin về cư trú trong Cơ sở dữ liệu về cư trú",
        "Xác nhận thông tin về cư trú",
    ]),
    ("dat-dai", "Đất đai", [
        "Đăng ký đất đai, tài sản gắn liền với đất lần đầu",
        "Cấp Giấy chứng nhận quyền sử dụng đất lần đầu",
        "Cấp đổi Giấy chứng nhận quyền sử dụng đất",
        "Cấp lại Giấy chứng nhận quyền sử dụng đất do bị mất",
        "Đăng ký biến động quyền sử dụng đất", "Chuyển mục đích sử dụng đất",
        "Gia hạn sử dụng đất nông nghiệp", "Đính chính Giấy chứng nhận đã cấp",
        "Hòa giải tranh chấp đất đai", "Tách thửa hoặc hợp thửa đất",
        "Thu hồi Giấy chứng nhận đã cấp không đúng quy định",
    ]),
    ("xay-dung", "Hoạt động xây dựng", [
        "Cấp giấy phép xây dựng nhà ở riêng lẻ", "Cấp giấy phép xây dựng có thời hạn",
        "Điều chỉnh giấy phép xây dựng", "Gia hạn giấy phép xây dựng",
        "Cấp lại giấy phép xây dựng", "Cấp giấy phép sửa chữa, cải tạo công trình",
        "Cấp giấy phép di dời công trình", "Cấp chứng chỉ hành nghề hoạt động xây dựng",
        "Thẩm định thiết kế xây dựng triển khai sau thiết kế cơ sở",
        "Thông báo khởi công xây dựng",
    ]),
    ("ho-kinh-doanh", "Thành lập và hoạt động của hộ kinh doanh", [
        "Đăng ký thành lập hộ kinh doanh", "Đăng ký thay đổi nội dung đăng ký hộ kinh doanh",
        "Tạm ngừng kinh doanh hộ kinh doanh", "Tiếp tục kinh doanh trước thời hạn đã thông báo",
        "Chấm dứt hoạt động hộ kinh doanh", "Cấp lại Giấy chứng nhận đăng ký hộ kinh doanh",
        "Đăng ký thành lập hợp tác xã", "Cấp Giấy phép bán lẻ rượu",
        "Cấp Giấy phép kinh doanh bán lẻ sản phẩm thuốc lá",
    ]),
    ("bao-tro-xa-hoi", "Bảo trợ xã hội", [
        "Trợ cấp xã hội hằng tháng", "Điều chỉnh, thôi hưởng trợ cấp xã hội hằng tháng",
        "Chi trả trợ cấp xã hội khi đối tượng thay đổi nơi cư trú", "Hỗ trợ chi phí mai táng",
        "Xác định, xác định lại mức độ khuyết tật", "Cấp đổi, cấp lại Giấy xác nhận khuyết tật",
        "Trợ giúp xã hội khẩn cấp về hỗ trợ làm nhà ở",
        "Công nhận hộ nghèo, hộ cận nghèo phát sinh trong năm",
        "Đăng ký hoạt động cơ sở trợ giúp xã hội",
    ]),
    ("giao-duc-dao-tao", "Giáo dục và Đào tạo", [
        "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc", "Chỉnh sửa nội dung văn bằng, chứng chỉ",
        "Chuyển trường đối với học sinh trung học cơ sở", "Thành lập trường mầm non",
        "Cho phép trường tiểu học hoạt động giáo dục",
        "Xét, duyệt chính sách hỗ trợ đối với học sinh bán trú",
        "Cấp giấy phép tổ chức hoạt động dạy thêm, học thêm",
        "Đăng ký hoạt động nhóm trẻ độc lập",
    ]),
    ("y-te", "Y tế", [
        "Cấp giấy chứng nhận đủ điều kiện an toàn thực phẩm",
        "Cấp lại giấy chứng nhận đủ điều kiện an toàn thực phẩm",
        "Cấp chứng chỉ hành nghề dược", "Đăng ký hành nghề khám bệnh, chữa bệnh",
        "Cấp Giấy chứng nhận đủ điều kiện kinh doanh dược",
        "Công bố cơ sở đủ điều kiện tiêm chủng", "Xác nhận nội dung quảng cáo thực phẩm",
    ]),
    ("van-hoa", "Văn hóa", [
        "Đăng ký tổ chức lễ hội", "Thông báo tổ chức lễ hội", "Cấp Giấy phép kinh doanh karaoke",
        "Công nhận danh hiệu Gia đình văn hóa", "Đăng ký hoạt động thư viện tư nhân",
        "Cấp giấy phép tổ chức biểu diễn nghệ thuật", "Công nhận câu lạc bộ thể thao cơ sở",
    ]),
    ("giao-thong", "Giao thông vận tải", [
        "Cấp giấy phép lái xe", "Đổi giấy phép lái xe", "Cấp lại giấy phép lái xe",
        "Đăng ký phương tiện thủy nội địa lần đầu", "Xóa đăng ký phương tiện thủy nội địa",
        "Cấp giấy phép thi công công trình trên đường bộ đang khai thác",
        "Cấp phù hiệu xe taxi", "Cấp Giấy phép kinh doanh vận tải bằng xe ô tô",
    ]),
    ("moi-truong", "Môi trường", [
        "Đăng ký môi trường", "Cấp giấy phép môi trường", "Cấp đổi giấy phép môi trường",
        "Điều chỉnh giấy phép môi trường", "Cấp lại giấy phép môi trường",
        "Cấp giấy phép khai thác nước dưới đất", "Gia hạn giấy phép khai thác khoáng sản",
        "Xác nhận hoàn thành cải tạo, phục hồi môi trường",
    ]),
    ("nong-nghiep", "Nông nghiệp", [
        "Cấp Giấy chứng nhận kinh tế trang trại",
        "Hỗ trợ khôi phục sản xuất vùng bị thiệt hại do thiên tai",
        "Cấp giấy chứng nhận cơ sở an toàn dịch bệnh động vật",
        "Cấp Giấy chứng nhận kiểm dịch động vật vận chuyển ra khỏi địa bàn",
        "Đăng ký nuôi trồng thủy sản", "Xác nhận nguồn gốc lâm sản", "Công nhận làng nghề",
    ]),
    ("lao-dong", "Lao động, việc làm", [
        "Đăng ký nội quy lao động", "Giải quyết hưởng trợ cấp thất nghiệp",
        "Tạm dừng hưởng trợ cấp thất nghiệp",
        "Cấp giấy phép lao động cho người lao động nước ngoài", "Gia hạn giấy phép lao động",
        "Cấp lại giấy phép lao động", "Hỗ trợ học nghề", "Đăng ký thỏa ước lao động tập thể",
    ]),
    ("nguoi-co-cong", "Người có công", [
        "Giải quyết chế độ trợ cấp thờ cúng liệt sĩ", "Cấp giấy xác nhận thân nhân liệt sĩ",
        "Cấp lại Bằng Tổ quốc ghi công", "Hỗ trợ người có công cải thiện nhà ở",
        "Di chuyển hồ sơ người có công", "Giải quyết trợ cấp mai táng phí cho người có công",
    ]),
    ("thi-dua-khen-thuong", "Thi đua, khen thưởng", [
        "Tặng Giấy khen của Chủ tịch UBND cấp xã", "Tặng danh hiệu Lao động tiên tiến",
        "Tặng danh hiệu Chiến sĩ thi đua cơ sở", "Khen thưởng đột xuất",
        "Khen thưởng theo chuyên đề", "Công nhận danh hiệu Khu dân cư văn hóa",
    ]),
]  # fmt: skip

# Who and in which case, so that names vary as they do in real catalogues.
SUBJECTS = [
    "", "", "", "", "cho công dân Việt Nam cư trú trong nước", "có yếu tố nước ngoài",
    "đối với hộ gia đình, cá nhân", "đối với tổ chức", "cho người nước ngoài cư trú tại Việt Nam",
    "cho đồng bào dân tộc thiểu số", "tại khu vực biên giới",
]  # fmt: skip
CASES = [
    "", "", "", "", "trong trường hợp bị mất, hỏng", "(thực hiện liên thông)",
    "theo cơ chế một cửa liên thông", "trên môi trường điện tử", "đối với trường hợp đặc biệt",
]  # fmt: skip

DOCUMENTS = [
    ("Bản sao Căn cước công dân hoặc giấy tờ tùy thân có ảnh", 0, 1, 0, True, ""),
    ("Văn bản ủy quyền", 1, 0, 0, False, "Khi nộp thay người khác"),
    ("Giấy tờ chứng minh nơi cư trú", 0, 1, 0, True, ""),
    ("Bản sao có chứng thực Giấy chứng nhận quyền sử dụng đất", 0, 1, 0, True, ""),
    ("Ảnh chân dung 4x6 cm", 2, 0, 0, True, ""),
    ("Văn bản đề nghị của tổ chức", 1, 0, 0, False, "Khi người đề nghị là tổ chức"),
    ("Sơ đồ vị trí", 1, 0, 1, True, ""),
    ("Giấy xác nhận của cơ quan có thẩm quyền", 1, 0, 0, False, "Nếu có"),
    ("Biên bản xác minh", 1, 0, 0, False, "Trong trường hợp cần xác minh"),
]
LEGAL_BASES = [
    ("60/2014/QH13", date(2014, 11, 20), "Luật Hộ tịch"),
    ("68/2020/QH14", date(2020, 11, 13), "Luật Cư trú"),
    ("50/2014/QH13", date(2014, 6, 18), "Luật Xây dựng"),
    ("23/2015/NĐ-CP", date(2015, 2, 16), "Nghị định về cấp bản sao từ sổ gốc, chứng thực"),
    ("63/2010/NĐ-CP", date(2010, 6, 8), "Nghị định về kiểm soát thủ tục hành chính"),
    ("42/2022/NĐ-CP", None, "Nghị định về cung cấp thông tin và dịch vụ công trực tuyến"),
    ("118/2025/NĐ-CP", None, "Nghị định về thực hiện thủ tục hành chính theo cơ chế một cửa"),
]
STEPS = (
    "Tổ chức, cá nhân nộp hồ sơ tại Bộ phận Một cửa hoặc trực tuyến\n"
    "Công chức tiếp nhận kiểm tra hồ sơ, viết giấy tiếp nhận và hẹn trả kết quả\n"
    "Phòng chuyên môn thẩm định, trình lãnh đạo ký\n"
    "Trả kết quả tại Bộ phận Một cửa hoặc qua dịch vụ bưu chính công ích"
)
AMOUNTS = [0, 0, 0, 0, 10_000, 15_000, 20_000, 30_000, 50_000, 100_000, 200_000]

SYNTHETIC_LEVELS = [
    ("province", "Cấp tỉnh", 1),
    ("district", "Cấp huyện", 2),
    ("commune", "Cấp xã", 3),
]
SYNTHETIC_COMMUNES = [
    "Tân Hòa", "Tân Lập", "Phước Thiện", "Thiện Hưng", "Hưng Phước", "Thanh Hòa", "Lộc Tấn",
    "Đồng Nơ",
]  # fmt: skip


class Command(BaseCommand):
    help = (
        "Create a synthetic catalogue of N published procedures (codes 8.xxxxxx) for "
        "benchmarks; existing codes are skipped, so re-running adds only what is missing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--procedures", type=int, required=True, metavar="N")
        parser.add_argument("--seed", type=int, default=2026, metavar="S")

    def handle(self, *args, procedures: int, seed: int, **options) -> None:
        if not 1 <= procedures <= 999_999:
            raise CommandError(_("--procedures must be between 1 and 999999."))
        started = clock.monotonic()
        with transaction.atomic():
            agencies_by_level = ensure_agencies()
            fields = ensure_fields()
        existing = set(
            Procedure.objects.filter(code__startswith=CODE_PREFIX).values_list("code", flat=True)
        )
        missing = [n for n in range(1, procedures + 1) if procedure_code(n) not in existing]
        with tqdm(total=len(missing), unit="proc", file=sys.stderr, disable=None) as bar:
            for start in range(0, len(missing), BATCH_SIZE):
                batch = missing[start : start + BATCH_SIZE]
                with transaction.atomic():
                    create_batch(batch, seed, agencies_by_level, fields)
                bar.update(len(batch))
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "%(created)d synthetic procedure(s) created, %(skipped)d already there, "
                    "in %(seconds).1f s."
                )
                % {
                    "created": len(missing),
                    "skipped": procedures - len(missing),
                    "seconds": clock.monotonic() - started,
                }
            )
        )


def procedure_code(number: int) -> str:
    return f"{CODE_PREFIX}{number:06d}"


def ensure_agencies() -> dict[AgencyLevel, list[int]]:
    """Agency ids by level: the agencies there are, or a synthetic tree when there are none."""
    if not Agency.objects.exists():
        levels = {}
        for code, name, rank in SYNTHETIC_LEVELS:
            levels[code], _created = AgencyLevel.objects.get_or_create(
                code=code, defaults={"name": name, "rank": rank}
            )
        province = synthetic_agency("tinh-mau", "Ủy ban nhân dân tỉnh Mẫu", levels["province"])
        district = synthetic_agency(
            "huyen-mau", "Ủy ban nhân dân huyện Mẫu", levels["district"], province
        )
        for number, name in enumerate(SYNTHETIC_COMMUNES, start=1):
            synthetic_agency(
                f"xa-mau-{number}", f"Ủy ban nhân dân xã {name}", levels["commune"], district
            )
    by_level: dict[AgencyLevel, list[int]] = {}
    for agency in Agency.objects.select_related("level").order_by("pk"):
        by_level.setdefault(agency.level, []).append(agency.pk)
    return by_level


def synthetic_agency(slug: str, name: str, level: AgencyLevel, parent=None) -> Agency:
    number = Agency.objects.count() + 1
    agency, _created = Agency.objects.get_or_create(
        slug=slug,
        defaults={
            "name": name,
            "short_name": name.replace("Ủy ban nhân dân", "UBND"),
            "level": level,
            "parent": parent,
            "electronic_id": f"S99.{number:02d}",
            "has_counter": True,
        },
    )
    return agency


def ensure_fields() -> list[tuple[Field, list[str]]]:
    """The vocabulary's fields, reusing one of the same code or name when it exists."""
    fields = []
    for code, name, names in FIELDS:
        field = Field.objects.filter(code=code).first() or Field.objects.filter(name=name).first()
        if field is None:
            field = Field.objects.create(code=code, name=name)
        fields.append((field, names))
    return fields


def create_batch(
    numbers: list[int],
    seed: int,
    agencies_by_level: dict[AgencyLevel, list[int]],
    fields: list[tuple[Field, list[str]]],
) -> None:
    levels = sorted(agencies_by_level, key=lambda level: level.rank)
    # The lowest tier (communes) carries most procedures, as in real catalogues.
    level_weights = [3 if level == levels[-1] else 1 for level in levels]
    procedures, plans = [], []
    for number in numbers:
        rng = random.Random(f"{seed}:{number}")
        field, names = rng.choice(fields)
        name = " ".join(
            part for part in (rng.choice(names), rng.choice(SUBJECTS), rng.choice(CASES)) if part
        )
        level = rng.choices(levels, weights=level_weights)[0]
        same_day = rng.random() < 0.2
        procedure = Procedure(
            code=procedure_code(number),
            name=name,
            level=level,
            field=field,
            competent_authority=f"Chủ tịch {level.name.replace('Cấp', 'UBND cấp')}",
            lead_department_code="",
            steps=STEPS,
            applicants="Cá nhân, tổ chức",
            result=f"Văn bản giải quyết thủ tục {name[0].lower()}{name[1:]}",
            number_of_sets=rng.choice([1, 1, 1, 2]),
            online_level=rng.choice(["full", "partial", "partial", "none"]),
            cutoff_time=time(15) if same_day else None,
            supplement_policy=rng.choice(["pause", "pause", "restart"]),
            status="published",
            publishing_decision=f"Quyết định {rng.randint(100, 3000)}/QĐ-UBND",
            valid_from=date(2023, 1, 1),
            illustrative_note="Dữ liệu tổng hợp để đo hiệu năng, không phải thủ tục thật",
        )
        # bulk_create skips save(), which is where search_text is normally filled in.
        procedure.search_text = procedure.build_search_text()
        procedures.append(procedure)
        plans.append((rng, level, same_day, name))

    created = Procedure.objects.bulk_create(procedures)
    if any(procedure.pk is None for procedure in created):  # backends that return no ids
        ids = dict(
            Procedure.objects.filter(code__in=[p.code for p in created]).values_list("code", "pk")
        )
        for procedure in created:
            procedure.pk = ids[procedure.code]

    channels, documents, fees, bases, links = [], [], [], [], []
    through = Procedure.agencies.through
    for procedure, (rng, level, same_day, name) in zip(created, plans, strict=True):
        unit, value = ("same_day", None)
        if not same_day:
            unit = rng.choice(["working_days"] * 6 + ["calendar_days"])
            value = rng.choice([1, 2, 3, 5, 7, 10, 15, 20, 30])
        for channel in ["in_person", *sorted(rng.sample(["postal", "online"], rng.randint(1, 2)))]:
            channels.append(
                ProcedureChannel(
                    procedure_id=procedure.pk, channel=channel, time_value=value, time_unit=unit
                )
            )
        documents.append(
            RequiredDocument(
                procedure_id=procedure.pk,
                order=1,
                name=f"Tờ khai {name[0].lower()}{name[1:]}"[:500],
                originals=1,
                form_name="Mẫu số 01",
            )
        )
        for order, (doc_name, originals, certified, copies, required, condition) in enumerate(
            rng.sample(DOCUMENTS, rng.randint(1, 4)), start=2
        ):
            documents.append(
                RequiredDocument(
                    procedure_id=procedure.pk,
                    order=order,
                    name=doc_name,
                    originals=originals,
                    certified_copies=certified,
                    photocopies=copies,
                    is_required=required,
                    condition=condition,
                )
            )
        amount = rng.choice(AMOUNTS)
        fees.append(
            FeeLine(
                procedure_id=procedure.pk,
                kind=rng.choice(["fee", "charge"]),
                amount=amount,
                unit=rng.choice(["dossier", "dossier", "copy", "case", "certificate"]),
                online_amount=amount // 2 if amount and rng.random() < 0.4 else None,
                effective_from=date(2022, 1, 1),
                resolution=f"Nghị quyết {rng.randint(1, 40):02d}/2021/NQ-HĐND",
            )
        )
        if rng.random() < 0.5:  # the earlier rate, kept as history
            fees.append(
                FeeLine(
                    procedure_id=procedure.pk,
                    amount=amount + 5_000 if amount else 0,
                    effective_from=date(2017, 1, 1),
                    effective_to=date(2021, 12, 31),
                    resolution=f"Nghị quyết {rng.randint(1, 40):02d}/2016/NQ-HĐND",
                )
            )
        for order, (number, issued_on, title) in enumerate(
            rng.sample(LEGAL_BASES, rng.randint(1, 2)), start=1
        ):
            bases.append(
                LegalBasis(
                    procedure_id=procedure.pk,
                    order=order,
                    number=number,
                    issued_on=issued_on,
                    title=title,
                )
            )
        agency_ids = agencies_by_level[level]
        if len(agency_ids) > MAX_AGENCIES_PER_PROCEDURE:
            agency_ids = rng.sample(agency_ids, MAX_AGENCIES_PER_PROCEDURE)
        links.extend(through(procedure_id=procedure.pk, agency_id=pk) for pk in agency_ids)

    ProcedureChannel.objects.bulk_create(channels)
    RequiredDocument.objects.bulk_create(documents)
    FeeLine.objects.bulk_create(fees)
    LegalBasis.objects.bulk_create(bases)
    through.objects.bulk_create(links)
    bump_catalogue_version()  # bulk_create sends no signal
