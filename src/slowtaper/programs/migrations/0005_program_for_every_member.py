"""Every member has a Program row from joining now, and pages only read it: give one to each member account
made before that (the defaults a new program has)."""

from django.db import migrations


def give_programs(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    Program = apps.get_model("programs", "Program")
    tracked = [
        "anxiety",
        "insomnia",
        "irritability",
        "concentration",
        "tremor",
        "muscle_pain",
        "dizziness",
        "heart",
    ]  # DEFAULT_TRACKED as of this migration (a migration does not import the app's code)
    missing = User.objects.filter(role="member", program__isnull=True).values_list("pk", flat=True)
    Program.objects.bulk_create(
        [Program(member_id=pk, tracked=list(tracked), threshold_overrides={}) for pk in missing.iterator()],
        batch_size=500,
    )


class Migration(migrations.Migration):
    dependencies = [("programs", "0004_signal_decisions"), ("accounts", "0009_member_place_and_mentor_requests")]

    operations = [migrations.RunPython(give_programs, migrations.RunPython.noop)]
