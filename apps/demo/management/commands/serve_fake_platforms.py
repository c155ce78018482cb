"""``manage.py serve_fake_platforms``: the demo's local social platforms, on one port."""

from django.core.management.base import BaseCommand

from apps.demo.fake_platforms import make_fake_server


class Command(BaseCommand):
    help = (
        "Serve fake RSS, Mastodon, Bluesky, Reddit, YouTube and Graph APIs for the demo brands "
        "(threaded, requests not logged)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="interface to bind (127.0.0.1)")
        parser.add_argument("--port", type=int, default=8765, help="port to listen on (8765)")

    def handle(self, *args, **options):
        server = make_fake_server(options["host"], options["port"])
        host, port = server.server_address[:2]
        self.stdout.write(f"Fake platforms serving at http://{host}:{port}/", ending="\n")
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
