from django.db import migrations, models


class Migration(migrations.Migration):
    """The statistics' and the scorecard's counts and lists read their indexes alone: the
    covering index of the dossiers alive in a period carries the two pause facts (``0031``)
    and whether the result is signed; the indexes of the dossiers accepted and received in a
    period carry the columns of the scorecard's sources counted over them; the dossiers
    resolved late have an index of their own. Apart from ``0031``: PostgreSQL builds no index
    in a transaction that updated the table's rows (their deferred foreign key checks are
    pending)."""

    dependencies = [
        ("intake", "0031_pause_facts"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="dossier",
            name="dossier_stats_accepted",
        ),
        migrations.RemoveIndex(
            model_name="dossier",
            name="dossier_stats_alive",
        ),
        migrations.RemoveIndex(
            model_name="dossier",
            name="dossier_received",
        ),
        migrations.AddIndex(
            model_name="dossier",
            index=models.Index(
                fields=["finished_at", "accepted_at"],
                include=(
                    "id",
                    "competent_agency",
                    "procedure",
                    "field",
                    "channel",
                    "status",
                    "verdict",
                    "original_due_at",
                    "paused_since",
                    "second_supplement_at",
                    "result_signed",
                ),
                name="dossier_stats_alive",
            ),
        ),
        migrations.AddIndex(
            model_name="dossier",
            index=models.Index(
                condition=models.Q(("verdict", "late")),
                fields=["finished_at"],
                include=(
                    "id",
                    "competent_agency",
                    "receiving_agency",
                    "procedure",
                    "field",
                    "channel",
                    "status",
                    "accepted_at",
                    "original_due_at",
                ),
                name="dossier_resolved_late",
            ),
        ),
        migrations.AddIndex(
            model_name="dossier",
            index=models.Index(
                fields=["accepted_at"],
                include=(
                    "id",
                    "receiving_agency",
                    "competent_agency",
                    "procedure",
                    "channel",
                    "result_signed",
                    "owes_fee",
                    "paid_online",
                ),
                name="dossier_stats_accepted",
            ),
        ),
        migrations.AddIndex(
            model_name="dossier",
            index=models.Index(
                fields=["received_at"],
                include=(
                    "id",
                    "receiving_agency",
                    "competent_agency",
                    "procedure",
                    "status",
                    "first_sent_at",
                    "unacknowledged_since",
                    "documents_resolved",
                    "reuses_document",
                    "result_signed",
                ),
                name="dossier_received",
            ),
        ),
    ]
