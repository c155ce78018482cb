"""Partial indexes for the report's two reads of a small share of the mentions: the customers
acknowledged in a period, and the unanswered mentions whose SLA clock ran past their day."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('clients', '0004_client_locale_logo'),
        ('listening', '0020_response_time_index'),
        ('rapport_channels', '0003_fetch_run_heartbeat'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='mention',
            index=models.Index(condition=models.Q(('acknowledged_at__isnull', False), ('customer__isnull', False), ('needs_acknowledgement', True)), fields=['client', 'posted_at'], include=('customer',), name='mention_answered_customer_idx'),
        ),
        migrations.AddIndex(
            model_name='mention',
            index=models.Index(condition=models.Q(('acknowledged_at__isnull', True), ('needs_acknowledgement', True)), fields=['client', 'posted_at'], include=('sla_due_at',), name='mention_unanswered_idx'),
        ),
    ]
