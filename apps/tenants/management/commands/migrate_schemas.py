"""``migrate_schemas`` that also keeps the agency template schema migrated.

New agencies are cloned from the template (``TENANT_BASE_SCHEMA``), so it must always carry the
latest migrations: whenever every tenant schema is migrated, the template is created if missing
and migrated too. Migrating the public schema also makes sure the public host (landing page)
is routed.
"""

from django.conf import settings
from django.db import connection
from django_tenants.management.commands.migrate_schemas import (
    GET_EXECUTOR_FUNCTION,
    MigrateSchemasCommand,
)
from django_tenants.utils import quote_schema_name

from apps.tenants import migration  # noqa: F401 - registers --executor=parallel


class Command(MigrateSchemasCommand):
    def handle(self, *args, **options):
        super().handle(*args, **options)
        if self.sync_tenant and not (self.schema_name and self.schema_name != "public"):
            template = settings.TENANT_BASE_SCHEMA
            with connection.cursor() as cursor:
                cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_schema_name(template)}")
            executor = GET_EXECUTOR_FUNCTION(codename="standard")(self.args, self.options)
            executor.run_migrations(tenants=[template])
            connection.set_schema_to_public()
        if self.sync_public:
            from apps.tenants.services import agency_ensure_public

            agency_ensure_public()
