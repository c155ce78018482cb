"""How long migrating every agency takes with many agencies.

    python benchmarks/migrate.py [--agencies 1000]

Provisions ``--agencies`` agencies in a scratch database (``generate_load``: the template clone,
an owner, three clients and their channels each), then times ``migrate_schemas
--executor=parallel`` over all of them (TENANT_MULTIPROCESSING_MAX_PROCESSES processes; nothing
left to apply, so this is the cost of checking every schema: what a deploy with no new migration
pays) next to the lower bound of the same check in one process for one schema, times the count.
"""

from __future__ import annotations

import argparse
import io
import time

from _scratch import use_scratch_database


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agencies", type=int, default=1000)
    args = parser.parse_args()
    use_scratch_database("rapport_bench_migrate")

    from django.conf import settings
    from django.core.management import call_command

    from apps.demo.load import load_generate

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    load_generate(agencies=args.agencies, mentions=0, prefix="m")
    provisioned = time.perf_counter() - started
    print(f"provisioned {args.agencies} agencies in {provisioned:.1f} s "
          f"({1000 * provisioned / args.agencies:.0f} ms each)")  # fmt: skip

    started = time.perf_counter()
    call_command("migrate_schemas", tenant=True, executor="parallel", verbosity=0,
                 stdout=io.StringIO())  # fmt: skip
    everything = time.perf_counter() - started
    started = time.perf_counter()
    call_command("migrate_schemas", schema_name="m_1", verbosity=0, stdout=io.StringIO())
    one = time.perf_counter() - started
    processes = getattr(settings, "TENANT_MULTIPROCESSING_MAX_PROCESSES", 2)
    print(f"migrate_schemas --executor=parallel over {args.agencies} agencies "
          f"({processes} processes): {everything:.1f} s")  # fmt: skip
    print(f"one agency alone: {one * 1000:.0f} ms; x {args.agencies} = {one * args.agencies:.1f} s")
    print(f"ratio all / (one x count): {everything / (one * args.agencies):.2f}")


if __name__ == "__main__":
    main()
