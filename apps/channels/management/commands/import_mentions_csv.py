"""``manage.py import_mentions_csv --agency acme --channel 12 mentions.csv``."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from apps.channels.connectors.csv import CsvImportError
from apps.channels.models import Channel
from apps.channels.services import channel_import_csv
from apps.core.commands import invalid_rows_error, read_or_error
from apps.tenants.commands import agency_or_error


class Command(BaseCommand):
    help = (
        "Import mentions from a CSV file into a channel; a file with any bad row imports nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--agency", required=True, help="agency slug")
        parser.add_argument("--channel", required=True, type=int, help="channel id")

    def handle(self, *args, file: Path, agency: str, channel: int, **options):
        tenant = agency_or_error(agency)
        content = read_or_error(file)
        with schema_context(tenant.schema_name):
            target = Channel.objects.select_related("client").filter(pk=channel).first()
            if target is None:
                raise CommandError(f"Agency '{agency}' has no channel {channel}.")
            try:
                result = channel_import_csv(channel=target, file_bytes=content)
            except CsvImportError as error:
                raise invalid_rows_error(self.stderr, error.rows) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {result.created} mentions ({result.duplicates} already present)."
            )
        )
