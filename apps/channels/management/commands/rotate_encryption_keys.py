"""``manage.py rotate_encryption_keys``: re-encrypt every agency's secrets with the newest key.

Put the new key first in ``RAPPORT_ENCRYPTION_KEYS`` (keep the old ones after it), run this, then
drop the old keys.
"""

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from apps.channels.services import channel_rotate_secrets
from apps.core.crypto import SecretUnreadable
from apps.tenants.selectors import agency_list


class Command(BaseCommand):
    help = "Re-encrypt channel credentials and webhook secrets with the newest key."

    def handle(self, *args, **options):
        total = 0
        for agency in agency_list():
            with schema_context(agency.schema_name):
                try:
                    count = channel_rotate_secrets()
                except SecretUnreadable as error:
                    raise CommandError(
                        f"Agency '{agency.slug}': {error}. Keep every old key in "
                        "RAPPORT_ENCRYPTION_KEYS until rotation has finished."
                    ) from error
            total += count
            self.stdout.write(f"{agency.slug}: {count} channels re-encrypted")
        self.stdout.write(self.style.SUCCESS(f"Done: {total} channels re-encrypted."))
