"""Members already on an approved plan get a reminder horizon that has run out, so the tick's top-up writes
their dose slots (those running out first, `TOP_UP_BATCH` members a minute; `manage.py tick --top-up-all` writes
them all at once after deploying). The slots themselves are not written here: that needs the engine and the
app's code as they are now, which a migration must not depend on."""

from datetime import UTC, datetime

from django.db import migrations

RUN_OUT = datetime(2000, 1, 1, tzinfo=UTC)


def horizons(apps, schema_editor):
    PlanRevision = apps.get_model("programs", "PlanRevision")
    ReminderHorizon = apps.get_model("checkins", "ReminderHorizon")
    members = PlanRevision.objects.filter(status="approved").values_list("member_id", flat=True).distinct()
    ReminderHorizon.objects.bulk_create(
        [ReminderHorizon(member_id=pk, until=RUN_OUT, written_at=RUN_OUT) for pk in members],
        ignore_conflicts=True,
        batch_size=500,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("checkins", "0003_dose_slots"),
        ("programs", "0004_signal_decisions"),
    ]

    operations = [migrations.RunPython(horizons, migrations.RunPython.noop)]
