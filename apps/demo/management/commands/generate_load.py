"""``manage.py generate_load --agencies 1000 --mentions 1000``: agencies for benchmarks."""

from django.core.management.base import BaseCommand, CommandError

from apps.demo.load import load_generate


class Command(BaseCommand):
    help = "Provision synthetic agencies (load-1 … load-N), each with clients and mentions."

    def add_arguments(self, parser):
        parser.add_argument("--agencies", type=int, required=True)
        parser.add_argument("--mentions", type=int, default=1000, help="per agency")
        parser.add_argument("--clients", type=int, default=3, help="per agency")
        parser.add_argument("--prefix", default="load", help="slug prefix: <prefix>-<n>")

    def handle(self, *args, agencies, mentions, clients, prefix, **options):
        if agencies < 1 or mentions < 0 or clients < 1:
            raise CommandError("--agencies and --clients must be at least 1, --mentions 0 or more.")
        report = load_generate(agencies=agencies, mentions=mentions, clients=clients, prefix=prefix)
        self.stdout.write(
            self.style.SUCCESS(
                f"{report.agencies} agencies ({report.created} new), "
                f"{report.mentions:,} mentions stored."
            )
        )
