from django.urls import path, register_converter

from intake.counter.views import book
from intake.counter.views import reception as counter
from intake.lookup import api
from intake.lookup import views as lookup
from intake.processing.views import actions, inbox
from intake.processing.views import dossier as processing
from intake.results import views as results
from intake.slips import views as slips

register_converter(actions.ActionConverter, "action")

app_name = "intake"
urlpatterns = []

# Public lookup (docs/lookup.md): the form, the QR link on the receipt slip, the JSON API.
urlpatterns += [
    path("tra-cuu/", lookup.lookup, name="lookup"),
    path("tra-cuu/<str:code>/<str:token>/", lookup.lookup_signed, name="lookup_signed"),
    path("api/v1/dossiers/<str:code>", api.dossier, name="api_dossier"),
]

# The result document, signed (docs/results.md): staff page and actions, the applicant's
# download through the QR link's token, the public verification page.
urlpatterns += [
    path("ho-so/<str:code>/ket-qua/", results.result_page, name="result"),
    path("ho-so/<str:code>/ket-qua/dinh-kem/", results.result_attach, name="result_attach"),
    path("ho-so/<str:code>/ket-qua/ky/", results.result_sign, name="result_sign"),
    path("ho-so/<str:code>/ket-qua/in-mau/", results.result_print, name="result_print"),
    path("ho-so/<str:code>/ket-qua/ban-goc.pdf", results.result_file, name="result_file"),
    path(
        "ho-so/<str:code>/ket-qua/ban-da-ky.pdf",
        results.result_file,
        {"signed": True},
        name="result_signed_file",
    ),
    path(
        "tra-cuu/<str:code>/<str:token>/ket-qua.pdf",
        results.lookup_result_pdf,
        name="lookup_result_pdf",
    ),
    path("xac-thuc/", results.verify, name="verify"),
]

# The one-stop counter (intake/counter/views/reception.py).
urlpatterns += [
    path("mot-cua/", counter.counter_home, name="counter"),
    path("mot-cua/tiep-nhan/", counter.choose_procedure, name="choose_procedure"),
    path("mot-cua/tiep-nhan/<str:code>/", counter.receive_dossier, name="receive"),
    path("mot-cua/bien-nhan/<uuid:token>/", counter.reception_outcome, name="reception"),
]

# Processing (intake/processing/views/inbox.py, intake/processing/views/dossier.py): the staff
# inbox, the page of a dossier with its actions (one POST endpoint per action), and its attached
# files.
urlpatterns += [
    path("xu-ly/", inbox.inbox, name="inbox"),
    path("ho-so/<str:code>/", processing.dossier_detail, name="dossier"),
    path("ho-so/<str:code>/<action:action>/", processing.dossier_action, name="dossier_action"),
    path("ho-so/<str:code>/tep/<int:number>/", processing.attachment, name="attachment"),
]

# The scans of a dossier's documents, line by line (intake/documents/views.py).
from intake.documents import views as documents  # noqa: E402

urlpatterns += [
    path("ho-so/<str:code>/giay-to/<int:number>/", documents.document_scan, name="document_scan"),
]

# The printed forms (intake/slips/views.py) and the tracking book (intake/counter/views/book.py). A
# form issued again for one reception (02) by its place among them, ``mau-02-2.pdf``: before the
# route that would read "02-2" as the form; form 06 from the dossier's history.
urlpatterns += [
    path(
        "mot-cua/bien-nhan/<uuid:token>/mau-<str:form>-<int:ordinal>.pdf",
        slips.slip_pdf,
        name="slip_pdf",
    ),
    path("mot-cua/bien-nhan/<uuid:token>/mau-<str:form>.pdf", slips.slip_pdf, name="slip_pdf"),
    path("ho-so/<str:code>/mau-06.pdf", slips.control_slip, name="control_slip"),
    path("mot-cua/so-theo-doi/", book.book, name="book"),
]

# The bell (intake/watch/views.py): the signed-in person's notifications.
from intake.watch import views as notifications  # noqa: E402

urlpatterns += [
    path("thong-bao/", notifications.notifications, name="notifications"),
    path("thong-bao/doc-het/", notifications.notifications_read_all, name="notifications_read_all"),
    path(
        "thong-bao/<uuid:public_id>/doc/", notifications.notification_read, name="notification_read"
    ),
    path(
        "thong-bao/<uuid:public_id>/mo/", notifications.notification_open, name="notification_open"
    ),
]

# Public transparency (intake/reports/views/transparency.py) and satisfaction ratings
# (intake/reports/views/satisfaction.py): the counter's tablet, the lookup link's form (posted to
# intake/lookup/views.py), the page of managers and department heads with the follow-ups of
# unhappy ratings.
from intake.reports.views import satisfaction, transparency  # noqa: E402

urlpatterns += [
    path("minh-bach/", transparency.transparency, name="transparency"),
    path("minh-bach/<slug:slug>/", transparency.transparency_agency, name="transparency_agency"),
    path("mot-cua/danh-gia/<str:code>/", satisfaction.counter_rating, name="counter_rating"),
    path(
        "tra-cuu/<str:code>/<str:token>/danh-gia/",
        lookup.lookup_rating,
        name="lookup_rating",
    ),
    path("danh-gia/", satisfaction.satisfaction, name="satisfaction"),
    path("danh-gia/<str:code>/dong/", satisfaction.follow_up_close, name="follow_up_close"),
]

# The managers' statistics (intake/reports/views/statistics.py): the dashboard and its exports, and
# the dossiers behind each number.
from intake.reports.views import statistics  # noqa: E402

urlpatterns += [
    path("thong-ke/", statistics.dashboard, name="statistics"),
    path("thong-ke/ho-so/", statistics.dossiers, name="statistics_dossiers"),
]

# Feedback and petitions (intake/petitions/, docs/petitions.md): the citizens' form (the
# contact confirmed by a one-time code), the follow page, the public answers; the staff's
# register, the petition's page and its verbs.
from intake.petitions.views import public as petitions  # noqa: E402
from intake.petitions.views import staff as petition_staff  # noqa: E402

urlpatterns += [
    path("phan-anh-kien-nghi/", petitions.start, name="petitions"),
    path("phan-anh-kien-nghi/gui/", petitions.write, name="petition_write"),
    path("phan-anh-kien-nghi/theo-doi/", petitions.follow, name="petition_follow"),
    path(
        "phan-anh-kien-nghi/theo-doi/<str:code>/<str:token>/",
        petitions.followed,
        name="petition_followed",
    ),
    path(
        "phan-anh-kien-nghi/theo-doi/<str:code>/<str:token>/lam-ro/",
        petitions.follow_clarify,
        name="petition_follow_clarify",
    ),
    path(
        "phan-anh-kien-nghi/theo-doi/<str:code>/<str:token>/danh-gia/",
        petitions.follow_rate,
        name="petition_follow_rate",
    ),
    path("phan-anh-kien-nghi/da-tra-loi/", petitions.answered, name="petitions_answered"),
    path(
        "phan-anh-kien-nghi/da-tra-loi/<str:code>/",
        petitions.answered_one,
        name="petition_answered",
    ),
    path("so-phan-anh/", petition_staff.register, name="petition_register"),
    path("so-phan-anh/so.xlsx", petition_staff.register_xlsx, name="petition_register_xlsx"),
    path("so-phan-anh/so.pdf", petition_staff.register_pdf, name="petition_register_pdf"),
    path("so-phan-anh/them/", petition_staff.enter, name="petition_enter"),
    path("so-phan-anh/<str:code>/", petition_staff.petition_page, name="petition"),
    path(
        "so-phan-anh/<str:code>/tep/<int:number>/",
        petition_staff.petition_file,
        name="petition_file",
    ),
    path(
        "so-phan-anh/<str:code>/<str:action>/",
        petition_staff.petition_action,
        name="petition_action",
    ),
]

# The statistics of feedback and petitions (intake/reports/views/petitions.py).
from intake.reports.views import petitions as petition_statistics  # noqa: E402

urlpatterns += [
    path(
        "thong-ke/phan-anh-kien-nghi/",
        petition_statistics.petition_statistics,
        name="petition_statistics",
    ),
    path(
        "thong-ke/phan-anh-kien-nghi/bang.xlsx",
        petition_statistics.petition_statistics_xlsx,
        name="petition_statistics_xlsx",
    ),
    path(
        "thong-ke/phan-anh-kien-nghi/danh-sach/",
        petition_statistics.petition_statistics_list,
        name="petition_statistics_list",
    ),
]

# The Decision 766 scorecard (intake/scorecard/views.py): the page, each source's misses, the
# national dashboard's figures entered by managers.
from intake.scorecard import views as scorecard  # noqa: E402

urlpatterns += [
    path("thong-ke/chi-so-766/", scorecard.scorecard_page, name="scorecard"),
    path(
        "thong-ke/chi-so-766/nguon/<str:code>/", scorecard.scorecard_misses, name="scorecard_misses"
    ),
    path(
        "thong-ke/chi-so-766/so-lieu-quoc-gia/",
        scorecard.national_figures,
        name="scorecard_national",
    ),
]

# Online filing on this portal and the online reception inbox (intake/online/, docs/online.md).
from intake.online.views import applicant as online_applicant  # noqa: E402
from intake.online.views import filing as online_filing  # noqa: E402
from intake.online.views import inbox as online_inbox  # noqa: E402

urlpatterns += [
    path("thu-tuc/<str:code>/nop-truc-tuyen/", online_filing.file_online, name="file_online"),
    path(
        "thu-tuc/<str:code>/nop-truc-tuyen/<uuid:token>/",
        online_filing.draft_page,
        name="online_draft",
    ),
    path(
        "thu-tuc/<str:code>/nop-truc-tuyen/<uuid:token>/da-nop/",
        online_filing.done,
        name="online_done",
    ),
    path("mot-cua/truc-tuyen/", online_inbox.online_inbox, name="online_inbox"),
    path("mot-cua/truc-tuyen/<str:code>/", online_inbox.online_check, name="online_check"),
    path(
        "tra-cuu/<str:code>/<str:token>/bo-sung/", online_applicant.complete, name="online_complete"
    ),
    path(
        "tra-cuu/<str:code>/<str:token>/mau-<str:form>.pdf",
        online_applicant.slip,
        name="online_slip",
    ),
]

# The national portal's inbound API (intake/national/, docs/national.md).
from intake.national import api as national_api  # noqa: E402

urlpatterns += [
    path("api/v1/online-dossiers", national_api.online_dossiers, name="api_online_dossiers"),
]

# Fees paid and accounted for (intake/payments/views.py, docs/payments.md): the dossier page's
# payment and refund, receipts, the clerk's day and its closing, online payment and the sandbox.
from intake.payments import views as payments  # noqa: E402

urlpatterns += [
    path("ho-so/<str:code>/thu-phi/", payments.record, name="payment_record"),
    path("ho-so/<str:code>/hoan-phi/", payments.refund, name="payment_refund"),
    path(
        "ho-so/<str:code>/bien-lai/<int:year>/<int:serial>.pdf",
        payments.receipt,
        name="payment_receipt",
    ),
    path(
        "tra-cuu/<str:code>/<str:token>/bien-lai/<int:year>/<int:serial>.pdf",
        payments.public_receipt,
        name="payment_public_receipt",
    ),
    path("tra-cuu/<str:code>/<str:token>/thanh-toan/", payments.start, name="payment_start"),
    path("mot-cua/thu-phi/", payments.day, name="payment_day"),
    path("mot-cua/thu-phi/chot/", payments.close, name="payment_close"),
    path(
        "mot-cua/thu-phi/<str:day_iso>/bang-ke.pdf",
        payments.closing_pdf,
        name="payment_closing_pdf",
    ),
    path("thanh-toan/<str:gateway>/ket-qua/", payments.gateway_return, name="payment_return"),
    path("thanh-toan/<str:gateway>/ipn/", payments.gateway_notify, name="payment_notify"),
    path("thanh-toan/thu-nghiem/", payments.sandbox, name="payment_sandbox"),
    path("thong-ke/thu-phi/", payments.report, name="payment_report"),
    path("thong-ke/thu-phi/chi-tiet/", payments.report_drill, name="payment_drill"),
]
