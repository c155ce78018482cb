"""``manage.py restore_agency --input acme.dump --database-url postgres://…/other``.

Restores a ``backup_agency`` archive into another database: its public schema is migrated first
if the database is empty, then the agency's schema is restored with pg_restore and its Agency and
Domain rows are created; every table's row count is checked against the manifest.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.tenants.backups import BackupError, agency_restore


class Command(BaseCommand):
    help = "Restore one agency's backup (backup_agency) into another database."

    def add_arguments(self, parser):
        parser.add_argument("--input", required=True, type=Path, help="The archive to restore.")
        parser.add_argument(
            "--database-url", required=True, help="The target, e.g. postgres://user@host/db."
        )
        parser.add_argument(
            "--manifest", type=Path, default=None, help="Default: <input>.json next to it."
        )

    def handle(self, *args, **options):
        try:
            result = agency_restore(
                archive=options["input"],
                database_url=options["database_url"],
                manifest=options["manifest"],
            )
        except BackupError as error:
            raise CommandError(str(error)) from error
        expected, restored = result["tables"], result["restored_tables"]
        different = {
            table: (expected.get(table), restored.get(table))
            for table in sorted(set(expected) | set(restored))
            if expected.get(table) != restored.get(table)
        }
        if different:
            for table, (before, after) in different.items():
                self.stderr.write(f"{table}: {before} rows backed up, {after} restored")
            raise CommandError(f"{len(different)} tables differ from the backup.")
        agency = result["agency"]
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored agency '{agency['slug']}' (schema {agency['schema_name']}): "
                f"{len(restored)} tables, {sum(restored.values())} rows, hosts "
                f"{', '.join(d['domain'] for d in result['domains'])}"
            )
        )
