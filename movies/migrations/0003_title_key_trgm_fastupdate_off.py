from typing import Any

from django.db import migrations

# A GIN index buffers new entries in a pending list until VACUUM; the planner
# then prices the index as a scan of that list and ignores it, so a search
# after a bulk import scans the table until autovacuum runs. Titles change
# rarely: write them into the index at once instead.
FORWARDS = [
    "ALTER INDEX movies_title_key_trgm SET (fastupdate = off)",
    "SELECT gin_clean_pending_list('movies_title_key_trgm'::regclass)",
]
BACKWARDS = ["ALTER INDEX movies_title_key_trgm RESET (fastupdate)"]


def postgres_sql(statements: list[str]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("movies", "0002_title_key"),
    ]

    operations = [
        migrations.RunPython(postgres_sql(FORWARDS), postgres_sql(BACKWARDS)),
    ]
