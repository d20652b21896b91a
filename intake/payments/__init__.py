"""Fees paid and accounted for: the ledger (``ledger``), receipts (``receipts``), the online
gateways and VietQR (``gateways``, ``online``, ``vietqr``), reports and indicators 3.5–3.6.
``docs/payments.md``."""
