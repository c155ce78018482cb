import django.db.models.deletion
from django.db import migrations, models

BACKFILL = """
SET CONSTRAINTS ALL IMMEDIATE;
UPDATE acknowledgements_acknowledgement a
SET client_id = m.client_id,
    first_response_minutes = CASE WHEN a.created_at = m.acknowledged_at
                                  THEN m.time_to_acknowledge_minutes END
FROM listening_mention m
WHERE m.id = a.mention_id
"""


class Migration(migrations.Migration):
    dependencies = [
        ("acknowledgements", "0004_saved_replies_and_wording"),
        ("clients", "0001_initial"),
        ("listening", "0009_acknowledged_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="acknowledgement",
            name="client",
            field=models.ForeignKey(
                db_index=False, null=True, on_delete=django.db.models.deletion.CASCADE,
                related_name="+", to="clients.client",
            ),
        ),
        migrations.AddField(
            model_name="acknowledgement",
            name="first_response_minutes",
            field=models.FloatField(
                blank=True, help_text="Set on the first acknowledgement of its mention.",
                null=True,
            ),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="acknowledgement",
            name="client",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="+",
                to="clients.client",
            ),
        ),
        migrations.AddIndex(
            model_name="acknowledgement",
            index=models.Index(fields=["client", "created_at"], name="ack_client_created_idx"),
        ),
    ]
