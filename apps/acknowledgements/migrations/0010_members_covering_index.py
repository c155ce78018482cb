"""The acknowledgements index by client and time carries the member and the first-response time:
the report's per-member figures read it alone (index-only)."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('acknowledgements', '0009_list_indexes'),
        ('clients', '0004_client_locale_logo'),
        ('listening', '0020_response_time_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='acknowledgement',
            name='ack_client_created_idx',
        ),
        migrations.AddIndex(
            model_name='acknowledgement',
            index=models.Index(fields=['client', 'created_at'], include=('user', 'first_response_minutes'), name='ack_client_created_idx'),
        ),
    ]
