"""Agency provisioning time as the number of agencies grows.

    python benchmarks/provisioning.py [--agencies 200]

Prints the time to provision the 1st and the Nth agency (cloned from the template schema), and,
for comparison in the same run, a plain migrate of one agency schema from scratch (what
provisioning would cost without the template) and the bare ``CREATE SCHEMA`` lower bound.
"""

from __future__ import annotations

import argparse
import statistics
import time

from _scratch import use_scratch_database


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agencies", type=int, default=200)
    args = parser.parse_args()
    use_scratch_database("rapport_bench_provisioning")

    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection

    from apps.tenants.services import agency_provision

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    full_migrate = time.perf_counter() - started

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("CREATE SCHEMA scratch_empty")
    bare_schema = time.perf_counter() - started

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("CREATE SCHEMA scratch_migrated")
    call_command("migrate_schemas", schema_name="scratch_migrated", tenant=True, verbosity=0)
    migrate_one = time.perf_counter() - started
    connection.set_schema_to_public()

    timings = []
    for n in range(1, args.agencies + 1):
        started = time.perf_counter()
        agency_provision(
            slug=f"bench-{n:04d}",
            name=f"Bench {n}",
            admin_email=f"owner@bench{n}.test",
            admin_password="pw",
        )
        timings.append(time.perf_counter() - started)

    hashing = []
    for _ in range(5):
        started = time.perf_counter()
        make_password("pw")
        hashing.append(time.perf_counter() - started)
    hash_time = statistics.median(hashing)
    median = statistics.median(timings)
    first, last = timings[0], timings[-1]
    print(f"agencies provisioned:                {len(timings)}")
    print(f"1st agency:                          {first * 1000:8.1f} ms")
    print(f"{len(timings)}th agency:                        {last * 1000:8.1f} ms")
    print(
        f"median / p90:                        {median * 1000:8.1f} ms"
        f" / {sorted(timings)[int(len(timings) * 0.9) - 1] * 1000:.1f} ms"
    )
    print(f"Nth / 1st:                           {last / first:8.2f}x")
    print(f"  of which hashing the owner password: {hash_time * 1000:6.1f} ms (PBKDF2, by design)")
    print(f"  schema work (median - hashing):      {(median - hash_time) * 1000:6.1f} ms")
    print(
        f"plain migrate of one agency schema:  {migrate_one * 1000:8.1f} ms"
        f"  ({migrate_one / (median - hash_time):.1f}x the schema work of a clone)"
    )
    print(f"full migrate from scratch (public + template): {full_migrate * 1000:.1f} ms")
    print(f"lower bound, bare CREATE SCHEMA:     {bare_schema * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
