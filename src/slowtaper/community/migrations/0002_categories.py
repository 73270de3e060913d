"""The board's starting categories."""

from django.db import migrations

CATEGORIES = [
    ("introductions", "Introductions", "Say hello: where you are in your taper and what brought you here."),
    ("tapering", "Tapering", "Plans, cuts, holds, liquids and tablets: how it is going day to day."),
    ("coping", "Coping with symptoms", "What helps with sleep, anxiety, and the hard days."),
    ("after", "After the taper", "Life after the last dose, and symptoms that linger."),
    ("stories", "Success stories", "People who made it, and what they want you to know."),
]


def add(apps, schema_editor):
    Category = apps.get_model("community", "Category")
    for order, (slug, name, description) in enumerate(CATEGORIES):
        Category.objects.get_or_create(slug=slug, defaults={"name": name, "description": description, "order": order})


class Migration(migrations.Migration):
    dependencies = [("community", "0001_board")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
