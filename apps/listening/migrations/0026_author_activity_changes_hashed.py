"""The author-activity trigger finds the mentions an UPDATE changed by hashing the statement's old
and new rows (``EXCEPT``) instead of joining them by id. plpgsql keeps a statement's plan for the
session, planned for the first statement's transition tables: after a one-row update that plan
was a nested loop over the two, and a later update of 10,000 mentions on the same connection
(a rematch batch, a bulk action) spent 66–99 s in this trigger alone at 1,000,000 mentions.
The same pairs are recomputed as before."""

from importlib import import_module

from django.db import migrations

first = import_module("apps.listening.migrations.0019_author_activity")
before = import_module("apps.listening.migrations.0022_author_first_mention")

# A row whose columns the activity reads are unchanged appears on both sides and drops out:
# what is left are the changed rows' old (client, author) pairs and their new ones.
_READ = ", ".join(("id", *first.READ))
CHANGED = f"""SELECT client_id, author_id FROM (
                SELECT {_READ} FROM old_rows EXCEPT SELECT {_READ} FROM new_rows) o
              UNION SELECT client_id, author_id FROM (
                SELECT {_READ} FROM new_rows EXCEPT SELECT {_READ} FROM old_rows) n"""


def _replacing(function: str) -> str:
    return function.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)


assert before.FUNCTION.count(first.CHANGED) == 2  # the upsert and the delete of the pairs
FUNCTION = _replacing(before.FUNCTION.replace(first.CHANGED, CHANGED))


class Migration(migrations.Migration):
    dependencies = [("listening", "0025_acknowledged_mention")]

    operations = [migrations.RunSQL(FUNCTION, _replacing(before.FUNCTION))]
