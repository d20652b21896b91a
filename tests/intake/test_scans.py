"""Scanning at the counter and on the dossier page, exemptions and reuse (issue 14).

The reception form takes several files per document line, merged into one PDF per line in the
order given, checked by content; a refused file names its line and nothing is saved (no row, no
file in storage). The dossier page shows each line's scan with its pages against those
declared, downloads it through an access check, and replaces a scan or marks a line exempt
with one event. A returning applicant's earlier scans can be reused for a line.
"""

import io
from pathlib import Path

import pikepdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from intake.documents.checks import FileRefused, check_file
from intake.documents.merge import merge
from intake.models import Dossier, DossierDocument, EventKind, Reception
from tests.factories import ClerkFactory
from tests.intake import test_counter_views as counter_views
from tests.intake.test_counter_views import entered, receive_url

# The counter's fixtures: a commune, its clerk signed in, a procedure of three documents (the
# third only in some cases), and another unit with a dossier of its own.
unit = counter_views.unit
clerk = counter_views.clerk
clerk_client = counter_views.clerk_client
procedure = counter_views.procedure
elsewhere = counter_views.elsewhere

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    """The messages are read as written in the code; one test reads the Vietnamese."""
    settings.LANGUAGE_CODE = "en"


def image(fmt: str = "JPEG", size=(120, 170), colour=(200, 30, 30), name=None):
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, fmt)
    extension = "jpg" if fmt == "JPEG" else fmt.lower()
    return SimpleUploadedFile(
        name or f"trang.{extension}", buffer.getvalue(), content_type=f"image/{fmt.lower()}"
    )


def pdf(pages: int = 1, name="van-ban.pdf", setup=None, **save) -> SimpleUploadedFile:
    document = pikepdf.new()
    for _ in range(pages):
        document.add_blank_page()
    if setup:
        setup(document)
    buffer = io.BytesIO()
    document.save(buffer, **save)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/pdf")


def stored_scans(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / "scans"
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def page_sizes(content: bytes) -> list[tuple[float, float]]:
    with pikepdf.open(io.BytesIO(content)) as document:
        return [tuple(float(v) for v in page.mediabox[2:]) for page in document.pages]


# ------------------------------------------------------------------------------------------
# Checking and merging


def test_a_line_merges_images_and_pdfs_into_one_pdf_in_the_order_given():
    files = [
        check_file(image("JPEG", size=(200, 100))),  # landscape: an A4 landscape page
        check_file(pdf(2)),
        check_file(image("PNG")),
    ]
    merged = merge(files)
    assert merged.pages == 4
    sizes = page_sizes(merged.content)
    assert sizes[0][0] > sizes[0][1]  # the landscape image first
    assert sizes[3][0] < sizes[3][1]  # the portrait PNG last
    assert merge(files).content == merged.content  # same files, same bytes


@pytest.mark.parametrize(
    ("upload", "reason"),
    [
        (pdf(setup=lambda d: None, encryption=pikepdf.Encryption(owner="o", user="")), "encrypt"),
        (pdf(encryption=pikepdf.Encryption(owner="o", user="u")), "encrypt"),
        (
            pdf(
                setup=lambda d: setattr(
                    d.Root,
                    "OpenAction",
                    pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.x()")),
                )
            ),
            "JavaScript",
        ),
        (
            pdf(
                setup=lambda d: d.attachments.__setitem__(
                    "virus.exe", pikepdf.AttachedFileSpec(d, b"MZ")
                )
            ),
            "embedded",
        ),
        (SimpleUploadedFile("rong.jpg", b""), "empty"),
        (SimpleUploadedFile("hong.png", image("PNG").read()[:60]), "damaged"),
        (SimpleUploadedFile("ghi-chu.txt", b"hello"), "not a PDF"),
    ],
    ids=["encrypted", "password", "javascript", "embedded", "empty", "cut", "text"],
)
def test_files_the_portal_does_not_keep_are_refused_with_the_reason(upload, reason):
    with pytest.raises(FileRefused) as refused:
        check_file(upload)
    assert reason in refused.value.message


def test_an_image_over_the_pixel_limit_is_refused_before_it_is_decoded(settings):
    settings.SCAN_MAX_PIXELS = 1_000_000
    with pytest.raises(FileRefused) as refused:
        check_file(image(size=(1200, 1000)))
    assert "1200 × 1000" in refused.value.message
    assert check_file(image(size=(1000, 1000))).pages == 1


# ------------------------------------------------------------------------------------------
# Scanning at the counter


def scanned(procedure, files: dict, **changes) -> dict:
    """The reception form with ``files`` per line index (``{0: [file, file]}``)."""
    data = entered(procedure, **changes)
    for index, uploads in files.items():
        data[f"scan-{index}"] = uploads
    return data


def test_the_clerk_scans_lines_marks_one_exempt_and_the_dossier_is_digitised(
    clerk_client, procedure, settings
):
    data = scanned(
        procedure,
        {0: [image(), image(), pdf(1)], 1: [image("PNG")]},
        **{"doc-1-pages": "1", "exempt-2": "comparison"},
    )
    response = clerk_client.post(receive_url(procedure), data)
    assert response.status_code == 302, response.context["form"].errors
    dossier = Dossier.objects.get()
    lines = list(dossier.documents.order_by("line"))
    assert [(row.line, row.pages, row.declared_pages) for row in lines] == [
        (0, 3, 3),
        (1, 1, 1),
        (2, None, 3),
    ]
    assert lines[2].exemption == "comparison" and not lines[2].file
    assert all(row.recorded_by.username == "motcua.tantien" for row in lines)
    assert len(stored_scans(settings)) == 2
    assert dossier.documents_digitised()
    assert Dossier.objects.with_documents_digitised().get().documents_digitised
    accepted = dossier.events.get(kind=EventKind.ACCEPTED)
    assert accepted.data["documents"] == {"scanned": 2, "reused": 0, "exempt": 1, "unscanned": 0}


def test_a_line_left_unscanned_keeps_the_dossier_from_being_digitised(clerk_client, procedure):
    response = clerk_client.post(receive_url(procedure), scanned(procedure, {0: [pdf(3)]}))
    assert response.status_code == 302
    dossier = Dossier.objects.get()
    assert dossier.documents.unresolved().count() == 2
    assert not dossier.documents_digitised()
    assert not Dossier.objects.with_documents_digitised().get().documents_digitised


def test_only_the_lines_handed_in_are_recorded(clerk_client, procedure):
    data = scanned(procedure, {0: [pdf(3)]}, **{"doc-2-present": None})
    assert clerk_client.post(receive_url(procedure), data).status_code == 302
    assert list(DossierDocument.objects.values_list("line", flat=True)) == [0, 1]


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        (SimpleUploadedFile("to-khai.pdf", b"MZ\x90\x00 not a pdf"), "not a PDF"),
        (pdf(encryption=pikepdf.Encryption(owner="o", user="")), "encrypted"),
    ],
    ids=["wrong-content", "encrypted"],
)
def test_a_refused_file_names_its_line_and_nothing_is_saved(
    clerk_client, procedure, settings, bad, words
):
    data = scanned(procedure, {0: [pdf(3)], 1: [image(), bad]})
    response = clerk_client.post(receive_url(procedure), data)
    assert response.status_code == 200
    errors = response.context["form"].errors["scan-1"]
    assert "Bản sao cần chứng thực" in errors[0] and words in errors[0]
    assert not Reception.objects.exists() and not DossierDocument.objects.exists()
    assert stored_scans(settings) == []


def test_an_oversize_file_is_refused_naming_its_line(clerk_client, procedure, settings):
    settings.ATTACHMENT_MAX_BYTES = 2048
    big = image(size=(400, 400))
    big.file = io.BytesIO(bytes(big.read()) + b"\0" * 4096)  # padded past the limit
    big.size = None
    response = clerk_client.post(receive_url(procedure), scanned(procedure, {0: [big]}))
    errors = response.context["form"].errors["scan-0"]
    assert "Bản chính giấy tờ" in errors[0] and "2 kB" in errors[0]
    assert not Reception.objects.exists() and stored_scans(settings) == []


def test_pages_that_differ_from_those_declared_wait_for_the_clerk_to_confirm(
    clerk_client, procedure
):
    response = clerk_client.post(receive_url(procedure), scanned(procedure, {0: [pdf(2)]}))
    form = response.context["form"]
    assert form.errors.as_data()["scan-0"][0].code == "pages"
    assert form.pages_to_confirm
    assert b'name="confirm_pages"' in response.content
    assert not Reception.objects.exists()

    data = scanned(procedure, {0: [pdf(2)]}, confirm_pages="on")
    assert clerk_client.post(receive_url(procedure), data).status_code == 302
    row = DossierDocument.objects.get(line=0)
    assert (row.pages, row.declared_pages, row.pages_confirmed, row.pages_differ) == (
        2,
        3,
        True,
        True,
    )


def test_a_line_takes_one_source_only(clerk_client, procedure):
    data = scanned(procedure, {0: [pdf(3)]}, **{"exempt-0": "comparison"})
    response = clerk_client.post(receive_url(procedure), data)
    assert "one only" in response.context["form"].errors["scan-0"][0]
    assert not Reception.objects.exists()


def test_another_exemption_needs_its_details(clerk_client, procedure):
    response = clerk_client.post(
        receive_url(procedure), entered(procedure, **{"exempt-0": "other"})
    )
    assert "exempt-note-0" in response.context["form"].errors
    assert not Reception.objects.exists()


def test_a_failure_after_the_scans_were_written_removes_them(
    clerk_client, procedure, settings, monkeypatch
):
    def broken(*args, **kwargs):
        raise RuntimeError("the printer's record failed")

    monkeypatch.setattr("intake.counter.reception.receipt_record", broken)
    with pytest.raises(RuntimeError):
        clerk_client.post(receive_url(procedure), scanned(procedure, {0: [pdf(3)]}))
    assert not Reception.objects.exists() and not DossierDocument.objects.exists()
    assert stored_scans(settings) == []


def test_a_resubmitted_form_stores_its_scans_once(clerk_client, procedure, settings):
    data = scanned(procedure, {0: [pdf(3)]})
    assert clerk_client.post(receive_url(procedure), data).status_code == 302
    data = {**data, "scan-0": [pdf(3)]}
    assert clerk_client.post(receive_url(procedure), data).status_code == 302
    assert DossierDocument.objects.count() == 3
    assert len(stored_scans(settings)) == 1


def test_scans_are_ignored_when_the_dossier_is_not_accepted(clerk_client, procedure, settings):
    data = scanned(procedure, {0: [pdf(3)]}, outcome="refused", reasons="Không thuộc thẩm quyền")
    assert clerk_client.post(receive_url(procedure), data).status_code == 302
    assert not DossierDocument.objects.exists() and stored_scans(settings) == []


# ------------------------------------------------------------------------------------------
# Reuse


@pytest.fixture
def earlier(clerk_client, procedure):
    """A dossier of the same applicant received earlier, its first line scanned."""
    clerk_client.post(receive_url(procedure), scanned(procedure, {0: [pdf(3)]}))
    return Dossier.objects.get()


def test_finding_earlier_documents_shows_the_form_as_typed_without_errors(
    clerk_client, procedure, earlier
):
    data = entered(procedure, outcome=None, applicant_name="Nguyễn Văn Tư", find_documents="1")
    response = clerk_client.post(receive_url(procedure), data)
    assert response.status_code == 200
    assert not response.context["form"].errors
    assert "Nguyễn Văn Tư" in response.content.decode()
    assert [item.value for item in response.context["earlier"]] == [f"{earlier.code}/1"]
    assert f'value="{earlier.code}/1"'.encode() in response.content
    assert Reception.objects.count() == 1


def test_a_reused_line_shares_the_earlier_file_and_counts_for_indicator_4_3(
    clerk_client, procedure, earlier, settings
):
    data = entered(procedure, **{"reuse-0": f"{earlier.code}/1", "exempt-1": "comparison"})
    assert clerk_client.post(receive_url(procedure), data).status_code == 302
    dossier = Dossier.objects.exclude(pk=earlier.pk).get()
    reused = dossier.documents.get(line=0)
    source = earlier.documents.get(line=0)
    assert reused.reused_from == source
    assert reused.file.name == source.file.name and reused.pages == 3
    assert len(stored_scans(settings)) == 1  # no copy of the bytes
    assert list(DossierDocument.objects.reused().values_list("dossier", flat=True)) == [dossier.pk]
    page = clerk_client.get(dossier.get_absolute_url()).content.decode()
    assert f"Reused from dossier {earlier.code}" in page or earlier.code in page


def test_an_earlier_document_of_another_applicant_is_refused(clerk_client, procedure, earlier):
    data = entered(
        procedure, applicant_id_number="001099000001", **{"reuse-0": f"{earlier.code}/1"}
    )
    response = clerk_client.post(receive_url(procedure), data)
    assert "not one of this applicant's" in response.context["form"].errors["scan-0"][0]
    assert Reception.objects.count() == 1


def test_another_units_documents_are_not_offered(client, procedure, earlier, elsewhere):
    other = ClerkFactory(agency=elsewhere["agency"]).user
    procedure.agencies.add(elsewhere["agency"])
    client.force_login(other)
    data = entered(procedure, outcome=None, find_documents="1")
    response = client.post(receive_url(procedure), data)
    assert response.context["earlier"] == []


# ------------------------------------------------------------------------------------------
# The dossier page


@pytest.fixture
def received(clerk_client, procedure):
    data = scanned(procedure, {0: [image(), image(), image()]}, **{"exempt-2": "confidential"})
    assert clerk_client.post(receive_url(procedure), data).status_code == 302
    return Dossier.objects.get()


def test_the_dossier_page_shows_each_line_its_pages_and_exemption(clerk_client, received):
    page = clerk_client.get(received.get_absolute_url()).content.decode()
    assert "3 pages / 3 declared" in page
    assert "not scanned yet" in page
    assert "Confidential (state secret)" in page
    assert reverse("intake:document_scan", args=[received.code, 1]) in page


def test_a_scan_downloads_for_its_unit_and_is_404_elsewhere(client, clerk, received, elsewhere):
    client.force_login(clerk)
    url = reverse("intake:document_scan", args=[received.code, 1])
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert client.get(reverse("intake:document_scan", args=[received.code, 2])).status_code == 404
    client.force_login(elsewhere["clerk"])
    assert client.get(url).status_code == 404


def action_url(dossier, slug):
    return reverse("intake:dossier_action", args=[dossier.code, slug])


def test_the_dossier_page_scans_a_line_with_one_event(clerk_client, received, settings):
    response = clerk_client.post(
        action_url(received, "quet-giay-to"),
        {"version": received.version, "line": "1", "files": [pdf(2), image()]},
    )
    assert response.status_code == 302
    row = received.documents.get(line=1)
    assert (row.pages, row.declared_pages) == (3, 3)
    event = received.events.get(kind=EventKind.DOCUMENT_SCANNED)
    assert event.data["document"]["pages"] == 3 and event.data["previous"]["file"] == ""
    assert received.documents_digitised()


def test_replacing_a_scan_keeps_the_old_file_named_by_the_event(clerk_client, received, settings):
    old = received.documents.get(line=0).file.name
    response = clerk_client.post(
        action_url(received, "quet-giay-to"),
        {"version": received.version, "line": "0", "files": [pdf(3)]},
    )
    assert response.status_code == 302
    event = received.events.get(kind=EventKind.DOCUMENT_SCANNED)
    assert event.data["previous"]["file"] == old
    assert received.documents.get(line=0).file.name != old
    assert len(stored_scans(settings)) == 2


def test_a_bad_file_on_the_dossier_page_is_refused_naming_the_line(
    clerk_client, received, settings
):
    response = clerk_client.post(
        action_url(received, "quet-giay-to"),
        {"version": received.version, "line": "1", "files": [SimpleUploadedFile("x.pdf", b"no")]},
    )
    assert response.status_code == 400
    assert "Bản sao cần chứng thực" in response.content.decode()
    assert not received.events.filter(kind=EventKind.DOCUMENT_SCANNED).exists()
    assert len(stored_scans(settings)) == 1


def test_a_file_posted_for_a_line_of_another_dossier_is_refused(
    clerk_client, clerk, procedure, received, elsewhere, settings
):
    # A line this dossier does not have (the third line was not handed in elsewhere, the
    # 9th exists nowhere): refused by the form.
    response = clerk_client.post(
        action_url(received, "quet-giay-to"),
        {"version": received.version, "line": "8", "files": [pdf(3)]},
    )
    assert response.status_code == 400
    # Another unit's dossier: not found.
    other = elsewhere["reception"].dossier
    response = clerk_client.post(
        action_url(other, "quet-giay-to"), {"version": other.version, "line": "0", "files": [pdf()]}
    )
    assert response.status_code == 404
    assert not DossierDocument.objects.filter(dossier=other).exclude(file="").exists()
    assert len(stored_scans(settings)) == 1


def test_the_dossier_page_marks_a_line_exempt_with_one_event(clerk_client, received):
    response = clerk_client.post(
        action_url(received, "mien-quet"),
        {"version": received.version, "line": "1", "exemption": "other", "note": "Khoản 3"},
    )
    assert response.status_code == 302
    row = received.documents.get(line=1)
    assert (row.exemption, row.exemption_note) == ("other", "Khoản 3")
    assert received.events.filter(kind=EventKind.DOCUMENT_EXEMPTED).count() == 1
    assert received.documents_digitised()


def test_marking_exempt_for_another_case_needs_its_details(clerk_client, received):
    response = clerk_client.post(
        action_url(received, "mien-quet"),
        {"version": received.version, "line": "1", "exemption": "other"},
    )
    assert response.status_code == 400
    assert not received.events.filter(kind=EventKind.DOCUMENT_EXEMPTED).exists()


def test_the_refusal_reads_in_vietnamese_and_names_the_line(clerk_client, procedure, settings):
    settings.LANGUAGE_CODE = "vi"
    bad = pdf(encryption=pikepdf.Encryption(owner="o", user=""), name="to-khai.pdf")
    response = clerk_client.post(receive_url(procedure), scanned(procedure, {1: [bad]}))
    assert response.context["form"].errors["scan-1"] == [
        "Giấy tờ “Bản sao cần chứng thực”: “to-khai.pdf” bị mã hóa hoặc đặt mật khẩu; "
        "hãy gửi bản không khóa."
    ]


def test_the_dossier_page_reads_the_lines_once(
    clerk_client, received, django_assert_max_num_queries
):
    """The scans' list and the two forms that choose a line share one query: the page costs
    one query for its lines, whatever their number."""
    url = received.get_absolute_url()
    with django_assert_max_num_queries(40) as captured:
        assert clerk_client.get(url).status_code == 200
    lines = [q for q in captured.captured_queries if "intake_dossierdocument" in q["sql"]]
    assert len(lines) == 1


# ------------------------------------------------------------------------------------------
# Reuse of an earlier electronic result


@pytest.fixture
def earlier_result(earlier, clerk):
    """The earlier dossier's signed electronic result (hand-built: a two-page PDF as its
    signed file)."""
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from intake.models import ResultDocument

    content = pdf(2).read()
    result = ResultDocument(
        dossier=earlier,
        name="giay-phep.pdf",
        size=len(content),
        sha256="a" * 64,
        attached_by=clerk,
        attached_at=timezone.now(),
        signed_sha256="b" * 64,
        signed_by=clerk,
        signed_at=timezone.now(),
    )
    result.file.save("goc.pdf", ContentFile(content), save=False)
    result.signed_file.save("da-ky.pdf", ContentFile(content), save=False)
    result.save()
    return result


def test_an_earlier_signed_result_is_offered_and_reused_for_a_line(
    clerk_client, procedure, earlier, earlier_result
):
    data = entered(procedure, outcome=None, find_documents="1")
    response = clerk_client.post(receive_url(procedure), data)
    values = [item.value for item in response.context["earlier"]]
    assert values == [f"kq:{earlier.code}", f"{earlier.code}/1"]
    assert f"Signed result of {earlier.code}" in response.content.decode()

    data = entered(procedure, **{"reuse-0": f"kq:{earlier.code}", "exempt-1": "comparison"})
    assert clerk_client.post(receive_url(procedure), data).status_code == 302
    dossier = Dossier.objects.exclude(pk=earlier.pk).get()
    line = dossier.documents.get(line=0)
    assert line.reused_result == earlier_result and line.reused_from is None
    assert line.file.name == earlier_result.signed_file.name  # shared, not copied
    assert (line.pages, line.size, line.sha256) == (2, earlier_result.size, "b" * 64)
    assert list(DossierDocument.objects.reused().values_list("dossier", flat=True)) == [dossier.pk]
    accepted = dossier.events.get(kind=EventKind.ACCEPTED)
    assert accepted.data["documents"]["reused"] == 1
    assert accepted.data["documents"]["scanned"] == 0
    page = clerk_client.get(dossier.get_absolute_url()).content.decode()
    assert f"Reused: the signed electronic result of dossier {earlier.code}" in page
    download = clerk_client.get(reverse("intake:document_scan", args=[dossier.code, 1]))
    assert b"".join(download.streaming_content) == earlier_result.signed_file.open("rb").read()


def test_an_earlier_result_of_another_applicant_is_refused(
    clerk_client, procedure, earlier, earlier_result
):
    data = entered(
        procedure, applicant_id_number="001099000001", **{"reuse-0": f"kq:{earlier.code}"}
    )
    response = clerk_client.post(receive_url(procedure), data)
    assert "not one of this applicant's" in response.context["form"].errors["scan-0"][0]
    assert Reception.objects.count() == 1


def test_an_unsigned_result_is_not_offered(clerk_client, procedure, earlier, earlier_result):
    type(earlier_result).objects.filter(pk=earlier_result.pk).update(
        signed_at=None, signed_by=None, signed_sha256="", signed_file=""
    )
    data = entered(procedure, outcome=None, find_documents="1")
    response = clerk_client.post(receive_url(procedure), data)
    assert [item.value for item in response.context["earlier"]] == [f"{earlier.code}/1"]


# ------------------------------------------------------------------------------------------
# Files kept when the form comes back (no JavaScript)


def kept_tokens(response) -> dict[int, str]:
    form = response.context["form"]
    return {
        index: form.data.get(f"kept-{index}")
        for index in range(len(form.required_documents))
        if form.data.get(f"kept-{index}")
    }


def test_files_uploaded_before_a_validation_error_are_kept_and_used(
    clerk_client, procedure, settings
):
    data = scanned(
        procedure,
        {0: [image(name="to-khai-1.jpg"), image(name="to-khai-2.jpg"), pdf(1)]},
        applicant_name="",
    )
    response = clerk_client.post(receive_url(procedure), data)

    assert response.status_code == 200
    assert "applicant_name" in response.context["form"].errors
    page = response.content.decode()
    assert "uploaded: to-khai-1.jpg, to-khai-2.jpg, van-ban.pdf (3 pages)" in page
    tokens = kept_tokens(response)
    assert list(tokens) == [0]
    assert f'name="kept-0" value="{tokens[0]}"' in page
    assert not Reception.objects.exists()
    staged = list((Path(settings.MEDIA_ROOT) / "staging").iterdir())
    assert len(staged) == 1

    # Submitted again with the error corrected and no file chosen: the kept scan is the line's.
    data = entered(procedure, **{"kept-0": tokens[0], "exempt-1": "comparison"})
    assert clerk_client.post(receive_url(procedure), data).status_code == 302
    row = Dossier.objects.get().documents.get(line=0)
    assert row.pages == 3 and row.file.name.startswith("scans/")
    assert row.file.read() == staged[0].read_bytes()


def test_the_vietnamese_page_says_what_was_uploaded(clerk_client, procedure, settings):
    settings.LANGUAGE_CODE = "vi"
    data = scanned(procedure, {0: [pdf(3, name="don.pdf")]}, applicant_name="")
    response = clerk_client.post(receive_url(procedure), data, HTTP_ACCEPT_LANGUAGE="vi")
    assert "đã tải lên: don.pdf (3 trang)" in response.content.decode()


def test_files_kept_through_a_page_count_to_confirm_and_a_search(clerk_client, procedure):
    response = clerk_client.post(receive_url(procedure), scanned(procedure, {0: [pdf(2)]}))
    assert response.context["form"].pages_to_confirm
    token = kept_tokens(response)[0]

    # The search for earlier documents keeps the token, and keeps files chosen meanwhile.
    data = entered(procedure, outcome=None, find_documents="1", **{"kept-0": token})
    data["scan-1"] = [pdf(3, name="ban-ve.pdf")]
    response = clerk_client.post(receive_url(procedure), data)
    tokens = kept_tokens(response)
    assert tokens[0] == token and 1 in tokens
    assert "uploaded: ban-ve.pdf (3 pages)" in response.content.decode()

    data = entered(procedure, confirm_pages="on", **{f"kept-{i}": t for i, t in tokens.items()})
    assert clerk_client.post(receive_url(procedure), data).status_code == 302
    rows = Dossier.objects.get().documents.order_by("line")
    assert [(row.line, row.pages, row.pages_confirmed) for row in rows[:2]] == [
        (0, 2, True),
        (1, 3, False),
    ]


def test_a_forged_or_stale_kept_token_is_refused_naming_the_line(clerk_client, procedure):
    response = clerk_client.post(receive_url(procedure), entered(procedure, **{"kept-0": "x:y"}))
    assert "no longer kept" in response.context["form"].errors["scan-0"][0]
    assert not Reception.objects.exists()


def test_stale_kept_scans_are_discarded(clerk_client, procedure, settings):
    from datetime import timedelta

    from django.utils import timezone

    from intake.documents.staging import discard_stale

    clerk_client.post(receive_url(procedure), scanned(procedure, {0: [pdf(3)]}, applicant_name=""))
    assert discard_stale() == 0
    assert discard_stale(timezone.now() + timedelta(days=2)) == 1
    assert not list((Path(settings.MEDIA_ROOT) / "staging").iterdir())
