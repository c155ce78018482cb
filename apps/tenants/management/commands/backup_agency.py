"""``manage.py backup_agency --agency acme --output acme.dump``: pg_dump one agency's schema.

Writes a ``pg_dump --format=custom`` archive of the schema and ``<output>.json`` next to it (the
agency's public rows and every table's row count); see docs/backups.md.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.tenants.backups import BackupError, agency_backup, manifest_path
from apps.tenants.commands import agency_or_error


class Command(BaseCommand):
    help = "Back up one agency's schema with pg_dump (custom format) plus a manifest."

    def add_arguments(self, parser):
        parser.add_argument("--agency", required=True, help="The agency's slug.")
        parser.add_argument("--output", required=True, type=Path, help="The archive to write.")

    def handle(self, *args, **options):
        agency = agency_or_error(options["agency"])
        output: Path = options["output"]
        if not output.parent.is_dir():
            raise CommandError(f"No such directory: {output.parent}.")
        try:
            manifest = agency_backup(agency=agency, output=output)
        except BackupError as error:
            raise CommandError(str(error)) from error
        rows = sum(manifest["tables"].values())
        self.stdout.write(
            self.style.SUCCESS(
                f"Backed up agency '{agency.slug}' (schema {agency.schema_name}): "
                f"{len(manifest['tables'])} tables, {rows} rows → {output} "
                f"(manifest {manifest_path(output)})"
            )
        )
