"""Fees paid and accounted for (intake/payments/views.py, docs/payments.md): the dossier page's
payment and refund, receipts, the clerk's day and its closing, online payment and the sandbox."""

from django.urls import path

from intake.payments import views as payments

urlpatterns = [
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
