"""``migrate`` is ``migrate_schemas``: public schema, every agency, and the template."""

from .migrate_schemas import Command  # noqa: F401
