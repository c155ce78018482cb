"""Recompute every author's advocate flag under the stricter definition (unprompted praise
after an acknowledgement, never spam nor the brand): before, any positive mention after one
made an advocate, spammers included. Uses the service so the definition lives in one place."""

from django.db import migrations


def recompute(apps, schema_editor):
    from apps.acknowledgements.services import advocates_refresh

    advocates_refresh()


class Migration(migrations.Migration):
    dependencies = [
        ("acknowledgements", "0005_acknowledgement_client"),
        ("listening", "0012_thread_index"),
    ]

    operations = [migrations.RunPython(recompute, migrations.RunPython.noop)]
