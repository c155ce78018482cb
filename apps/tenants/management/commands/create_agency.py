"""``manage.py create_agency --slug acme --name "Acme" --admin-email … --admin-password …``"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from apps.tenants.services import agency_host, agency_provision


class Command(BaseCommand):
    help = "Create an agency: its schema, its host <slug>.<BASE_DOMAIN> and its owner user."

    def add_arguments(self, parser):
        parser.add_argument("--slug", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--admin-password", required=True)

    def handle(self, *args, **options):
        try:
            agency = agency_provision(
                slug=options["slug"],
                name=options["name"],
                admin_email=options["admin_email"],
                admin_password=options["admin_password"],
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Created agency '{agency.name}' at http://{agency_host(agency.slug)}/ "
                f"(owner {options['admin_email']})"
            )
        )
