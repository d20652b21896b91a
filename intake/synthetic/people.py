"""Plausible applicants and the words staff write: names, citizen IDs, phones, addresses, and
the short texts of supplement requests, refusals, apologies and withdrawals.

Illustrative data for synthetic dossiers only: family names follow their rough frequency in
Vietnam (Nguyễn about a third), with the S'tiêng name Điểu common in Bù Đốp; hamlet names are
made up in the local style. Everything is drawn from the ``random.Random`` passed in, so a seed
gives the same people every time.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass

FAMILY_NAMES = {
    "Nguyễn": 34,
    "Trần": 11,
    "Lê": 9,
    "Phạm": 7,
    "Hoàng": 4,
    "Huỳnh": 4,
    "Phan": 4,
    "Vũ": 3,
    "Võ": 3,
    "Đặng": 2,
    "Bùi": 2,
    "Đỗ": 1.5,
    "Hồ": 1.3,
    "Ngô": 1.3,
    "Dương": 1,
    "Lý": 0.5,
    "Điểu": 3,
    "Lâm": 0.8,
    "Trịnh": 0.6,
    "Đinh": 0.8,
    "Mai": 0.5,
    "Cao": 0.5,
}
MALE_MIDDLE = ["Văn", "Văn", "Văn", "Hữu", "Đức", "Minh", "Quốc", "Công", "Thanh", "Ngọc", "Xuân"]
MALE_GIVEN = [
    "Hùng",
    "Dũng",
    "Tuấn",
    "Nam",
    "Long",
    "Phúc",
    "Khoa",
    "Bảo",
    "Huy",
    "Tâm",
    "Sơn",
    "Hải",
    "Lộc",
    "Thắng",
    "Toàn",
    "Trung",
    "Hiếu",
    "Nghĩa",
    "Quang",
    "Thịnh",
    "Vinh",
    "Đạt",
    "Khánh",
    "Tài",
    "Cường",
    "Phong",
    "An",
    "Bình",
    "Hòa",
    "Kiên",
    "Lâm",
    "Nhân",
    "Tín",
    "Thành",
    "Tùng",
]
FEMALE_MIDDLE = ["Thị", "Thị", "Thị", "Thị Thu", "Thị Ngọc", "Ngọc", "Thu", "Thanh", "Kim", "Mỹ"]
FEMALE_GIVEN = [
    "Lan",
    "Hoa",
    "Hương",
    "Hạnh",
    "Nhung",
    "Trang",
    "Linh",
    "Thảo",
    "Mai",
    "Duyên",
    "Oanh",
    "Thúy",
    "Vy",
    "Hằng",
    "Yến",
    "Phương",
    "Loan",
    "Dung",
    "Tuyết",
    "Ngân",
    "Hiền",
    "Quyên",
    "Trinh",
    "Nga",
    "Ánh",
    "Hà",
    "Huyền",
    "My",
    "Nhi",
    "Vân",
    "Xuân",
    "Đào",
    "Liên",
    "Tâm",
]
ORGANISATION_FORMS = ["Công ty TNHH", "Công ty TNHH", "Công ty cổ phần", "Hợp tác xã"]
ORGANISATION_NAMES = [
    "Phước Thịnh",
    "Bình Minh",
    "Tân Tiến",
    "Hưng Phát",
    "Thanh Bình",
    "Phú Gia",
    "Sông Bé",
    "Minh Long",
    "Đại Phát",
    "Nông sản Bù Đốp",
    "Xây dựng Thiện Hưng",
    "Cao su Phước Thiện",
    "Điều Bình Phước",
    "Vận tải Hưng Phước",
]
HAMLETS = [
    "ấp 1",
    "ấp 2",
    "ấp 3",
    "ấp 4",
    "ấp 5",
    "ấp Tân Lập",
    "ấp Tân Hòa",
    "ấp Thanh Xuân",
    "ấp Phước Tiến",
    "ấp Bù Tam",
    "ấp Sóc Nê",
    "ấp Cần Dực",
    "khu phố Thanh Hòa",
    "khu phố Tân Hội",
]
DISTRICT_TAIL = "huyện Bù Đốp, tỉnh Bình Phước"
MOBILE_PREFIXES = "032 033 034 035 036 037 038 039 070 076 077 078 079 081 082 083 084 085 086 088 "
MOBILE_PREFIXES += "089 090 091 093 094 096 097 098"
PREFIXES = MOBILE_PREFIXES.split()
# Citizen IDs: province of birth (mostly Bình Phước, 070), century and sex, year of birth.
BIRTH_PROVINCES = ["070"] * 12 + ["074", "075", "079", "038", "040", "042", "036", "034"]
MAIL_DOMAINS = ["gmail.com"] * 8 + ["yahoo.com", "outlook.com"]

SUPPLEMENT_ITEMS = [
    ("Bản sao giấy tờ tùy thân", "Bản sao chưa được chứng thực"),
    ("Tờ khai", "Tờ khai thiếu chữ ký của người yêu cầu"),
    ("Tờ khai", "Thông tin trong tờ khai không khớp với giấy tờ xuất trình"),
    ("Giấy tờ chứng minh nơi cư trú", "Giấy tờ đã hết hạn sử dụng"),
    ("Bản vẽ thiết kế", "Bản vẽ chưa thể hiện đủ mặt bằng, mặt đứng công trình"),
    ("Giấy chứng nhận quyền sử dụng đất", "Cần bản sao có chứng thực"),
    ("Văn bản ủy quyền", "Văn bản ủy quyền chưa được chứng thực"),
    ("Giấy xác nhận của cơ sở y tế", "Cần bản chính để đối chiếu"),
]
REFUSAL_REASONS = [
    "Thủ tục không thuộc thẩm quyền giải quyết của cơ quan; đã hướng dẫn nộp đúng nơi.",
    "Người nộp không có quyền yêu cầu theo quy định của pháp luật.",
    "Hồ sơ đã được giải quyết trước đây; không tiếp nhận lại.",
    "Giấy tờ xuất trình có dấu hiệu bị tẩy xóa, sửa chữa.",
]
RESULT_REFUSALS = [
    "Không đủ điều kiện theo quy định tại văn bản pháp luật hiện hành.",
    "Kết quả xác minh không phù hợp với nội dung đề nghị.",
    "Công trình không phù hợp với quy hoạch được duyệt.",
    "Người đề nghị không thuộc đối tượng được hưởng theo quy định.",
]
SEND_BACK_REASONS = [
    "Đề nghị kiểm tra lại thông tin trong dự thảo kết quả.",
    "Dự thảo văn bản còn sai sót về thể thức, đề nghị chỉnh sửa.",
    "Cần bổ sung ý kiến thẩm định về điều kiện cấp.",
    "Số liệu trong tờ trình chưa khớp với hồ sơ, đề nghị rà soát.",
]
CONSULT_QUESTIONS = [
    "Đề nghị cho ý kiến về sự phù hợp với quy hoạch tại vị trí đề nghị.",
    "Đề nghị xác minh thông tin cư trú của người đề nghị.",
    "Đề nghị cho ý kiến về tình trạng pháp lý của thửa đất.",
    "Đề nghị cung cấp thông tin về hộ gia đình trong danh sách quản lý.",
]
CONSULT_ANSWERS = [
    "Thống nhất, không có ý kiến khác.",
    "Phù hợp quy hoạch; đề nghị lưu ý khoảng lùi theo quy định.",
    "Đã xác minh, thông tin đúng với hồ sơ quản lý.",
    "Có ý kiến kèm theo văn bản, đề nghị xem xét.",
]
APOLOGY_REASONS = [
    "Hồ sơ cần xác minh thêm tại thực địa.",
    "Chờ ý kiến của cơ quan phối hợp.",
    "Khối lượng hồ sơ tăng đột biến trong kỳ.",
    "Cán bộ thụ lý nghỉ ốm đột xuất, đã phân công người thay thế.",
]
WITHDRAWAL_REASONS = [
    "Người nộp hồ sơ xin rút hồ sơ để bổ sung giấy tờ và nộp lại sau.",
    "Người nộp không còn nhu cầu giải quyết.",
    "Người nộp không bổ sung hồ sơ theo yêu cầu và xin rút hồ sơ.",
    "Gia đình thay đổi nơi đăng ký; xin rút hồ sơ.",
]


def _ascii(text: str) -> str:
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(
        ch for ch in unicodedata.normalize("NFD", text) if unicodedata.category(ch) != "Mn"
    )


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    id_number: str
    phone: str
    email: str
    address: str


class People:
    """Draws applicants, proxies and collectors; one per call, all from ``rng``."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self._families = list(FAMILY_NAMES)
        total, self._family_weights = 0.0, []
        for weight in FAMILY_NAMES.values():
            total += weight
            self._family_weights.append(total)
        self._ascii: dict[str, str] = {}

    def name(self) -> tuple[str, bool]:
        """A full name, family name first, and whether it is a man's."""
        rng = self.rng
        family = rng.choices(self._families, cum_weights=self._family_weights)[0]
        male = rng.random() < 0.5
        if male:
            given = f"{rng.choice(MALE_MIDDLE)} {rng.choice(MALE_GIVEN)}"
        else:
            given = f"{rng.choice(FEMALE_MIDDLE)} {rng.choice(FEMALE_GIVEN)}"
        return f"{family} {given}", male

    def citizen_id(self, male: bool) -> str:
        """12 digits: province of birth, century and sex (2/3 for births 2000–2099, else 0/1),
        the last two digits of the year of birth, six random digits."""
        rng = self.rng
        year = rng.randint(1950, 2007)
        century = (0 if year < 2000 else 2) + (0 if male else 1)
        return f"{rng.choice(BIRTH_PROVINCES)}{century}{year % 100:02d}{rng.randrange(10**6):06d}"

    def phone(self) -> str:
        return f"{self.rng.choice(PREFIXES)}{self.rng.randrange(10**7):07d}"

    def address(self, commune: str) -> str:
        rng = self.rng
        return f"Tổ {rng.randint(1, 12)}, {rng.choice(HAMLETS)}, {commune}, {DISTRICT_TAIL}"

    def email(self, name: str) -> str:
        key = self._ascii.get(name)
        if key is None:
            words = _ascii(name).lower().split()
            key = self._ascii[name] = words[-1] + "".join(word[0] for word in words[:-1])
        return f"{key}{self.rng.randint(1, 99)}@{self.rng.choice(MAIL_DOMAINS)}"

    def individual(self, commune: str) -> Person:
        name, male = self.name()
        rng = self.rng
        return Person(
            name=name,
            id_number=self.citizen_id(male),
            phone=self.phone() if rng.random() < 0.95 else "",
            email=self.email(name) if rng.random() < 0.15 else "",
            address=self.address(commune),
        )

    def organisation(self, commune: str) -> Person:
        rng = self.rng
        name = f"{rng.choice(ORGANISATION_FORMS)} {rng.choice(ORGANISATION_NAMES)}"
        return Person(
            name=name,
            id_number=f"38{rng.randrange(10**8):08d}",  # a 10-digit tax code of Bình Phước
            phone=self.phone(),
            email=self.email(name) if rng.random() < 0.6 else "",
            address=self.address(commune),
        )

    def tracking_number(self) -> str:
        """A VNPost item number: two letters, nine digits, VN."""
        return f"E{self.rng.choice('BEGIMPR')}{self.rng.randrange(10**9):09d}VN"
