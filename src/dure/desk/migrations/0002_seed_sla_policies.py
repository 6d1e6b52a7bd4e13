"""Seed the SLA targets per category (business days). A frozen copy: later changes to
``dure.desk.sla.DEFAULT_TARGETS`` do not rewrite history."""

from django.db import migrations

TARGETS = {
    # category: (first response, resolution) in business days
    "default": (3, 20),
    "tech_transfer": (3, 30),
    "rnd_short": (3, 20),
    "rnd_long": (3, 40),
    "information": (3, 10),
    "personnel": (3, 20),
    "equipment": (3, 15),
    "consulting": (3, 15),
    "education": (3, 15),
    "other": (3, 15),
}


def seed(apps, schema_editor):
    SlaPolicy = apps.get_model("desk", "SlaPolicy")
    for category, (first, resolution) in TARGETS.items():
        SlaPolicy.objects.get_or_create(
            category=category,
            defaults={"first_response_days": first, "resolution_days": resolution},
        )


def unseed(apps, schema_editor):
    apps.get_model("desk", "SlaPolicy").objects.filter(category__in=TARGETS).delete()


class Migration(migrations.Migration):
    dependencies = [("desk", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
