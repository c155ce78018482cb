"""``manage.py export_client --agency demo --client northwind-coffee --output northwind.zip``."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from apps.clients.commands import client_or_error
from apps.privacy.data_rights import client_archive
from apps.tenants.commands import agency_or_error


class Command(BaseCommand):
    help = "Export everything stored about one client (JSON + CSV in a zip), on request."

    def add_arguments(self, parser):
        parser.add_argument("--agency", required=True, help="agency slug")
        parser.add_argument("--client", required=True, help="client slug")
        parser.add_argument("--output", required=True, type=Path, help="the zip file to write")

    def handle(self, *args, agency: str, client: str, output: Path, **options):
        tenant = agency_or_error(agency)
        with schema_context(tenant.schema_name):
            archive = client_archive(client=client_or_error(client, agency=agency))
        try:
            output.write_bytes(archive)
        except OSError as error:
            raise CommandError(f"Cannot write {output}: {error.strerror}.") from error
        self.stdout.write(self.style.SUCCESS(f"Wrote {output} ({len(archive):,} bytes)."))
