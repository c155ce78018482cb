"""Days rolled up before stop words of every supported language were left out kept words such
as "hey" or "every" among their top terms: forget them, and the next report rolls them up
again."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("reporting", "0002_term_rollups")]

    operations = [
        migrations.RunSQL(
            "DELETE FROM reporting_termcount; DELETE FROM reporting_termday;",
            reverse_sql=migrations.RunSQL.noop,
        )
    ]
