"""The deadline watch reads the dossiers' history for messages to applicants from here on:
installing it must not message the applicants of every dossier already in the database."""

from django.db import migrations
from django.db.models import Max


def start_at_the_last_event(apps, schema_editor):
    DossierEvent = apps.get_model("intake", "DossierEvent")
    WatchCursor = apps.get_model("intake", "WatchCursor")
    last = DossierEvent.objects.aggregate(last=Max("pk"))["last"] or 0
    WatchCursor.objects.get_or_create(name="applicant_events", defaults={"last_event_id": last})


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0005_deadline_watch"),
    ]

    operations = [
        migrations.RunPython(start_at_the_last_event, migrations.RunPython.noop),
    ]
