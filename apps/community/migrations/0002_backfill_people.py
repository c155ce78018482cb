"""Every author of a client's existing mentions becomes a person of that client, one each,
except that authors the client's CRM names as one customer share that customer's person."""

from django.db import migrations

OWN_PEOPLE = r"""
    WITH pairs AS MATERIALIZED (
        SELECT d.client_id, d.author_id,
               nextval(pg_get_serial_sequence('community_person', 'id')) AS person_id
        FROM (SELECT DISTINCT client_id, author_id FROM listening_mention) d
    ), people AS (
        INSERT INTO community_person (id, client_id, name, created_at)
        SELECT p.person_id, p.client_id,
               left(COALESCE(NULLIF(btrim(a.display_name), ''), a.handle), 300), now()
        FROM pairs p JOIN listening_author a ON a.id = p.author_id
        RETURNING id
    )
    INSERT INTO community_personauthor (client_id, person_id, author_id, linked_by, linked_at,
                                        name_key, website_key)
    SELECT p.client_id, p.person_id, p.author_id, 'own', now(),
           left(lower(btrim(a.display_name)), 300),
           left(lower(rtrim(regexp_replace(btrim(a.profile_url), '^[a-zA-Z]+://(www\.)?', ''),
                            '/')), 1000)
    FROM pairs p JOIN listening_author a ON a.id = p.author_id
"""
CUSTOMER_PEOPLE = """
    WITH targets AS (
        SELECT c.client_id, c.customer_id, min(pa.person_id) AS person_id
        FROM (SELECT DISTINCT client_id, customer_id, author_id FROM listening_mention
              WHERE customer_id IS NOT NULL) c
        JOIN community_personauthor pa ON pa.client_id = c.client_id
             AND pa.author_id = c.author_id
        GROUP BY c.client_id, c.customer_id
    ), firsts AS (  -- a person is one customer's: the lowest customer when authors disagree
        SELECT DISTINCT ON (person_id) * FROM targets ORDER BY person_id, customer_id
    )
    UPDATE community_person p SET customer_id = f.customer_id,
           name = left(COALESCE(NULLIF(btrim(cu.name), ''), p.name), 300)
    FROM firsts f JOIN clients_customer cu ON cu.id = f.customer_id
    WHERE p.id = f.person_id
"""
MOVE = """
    UPDATE community_personauthor pa SET person_id = p.id, linked_by = 'crm'
    FROM (SELECT DISTINCT client_id, customer_id, author_id FROM listening_mention
          WHERE customer_id IS NOT NULL) c, community_person p
    WHERE pa.client_id = c.client_id AND pa.author_id = c.author_id
      AND p.client_id = c.client_id AND p.customer_id = c.customer_id
"""
DROP_EMPTY = """
    DELETE FROM community_person p WHERE NOT EXISTS (
        SELECT 1 FROM community_personauthor pa WHERE pa.person_id = p.id
    )
"""


def backfill(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for statement in (OWN_PEOPLE, CUSTOMER_PEOPLE, MOVE, DROP_EMPTY):
            cursor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("community", "0001_people_across_platforms")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
