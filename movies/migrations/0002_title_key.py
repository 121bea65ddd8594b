from typing import Any

from django.contrib.postgres.operations import TrigramExtension, UnaccentExtension
from django.db import migrations, models

from movies.titles import normalize_title

# PostgreSQL only (SQLite searches without an index, see movies/search.py):
# the key compares byte by byte whatever the database's collation, so that
# ordering=title is the same as on SQLite, and a trigram index serves search.
POSTGRES_FORWARDS = [
    'ALTER TABLE movies_movie ALTER COLUMN title_key TYPE varchar(255) COLLATE "C"',
    "CREATE INDEX movies_title_key_trgm ON movies_movie "
    "USING gin (title_key gin_trgm_ops)",
]
POSTGRES_BACKWARDS = ["DROP INDEX IF EXISTS movies_title_key_trgm"]


def fill_title_keys(apps: Any, schema_editor: Any) -> None:
    Movie = apps.get_model("movies", "Movie")
    movies = Movie.objects.using(schema_editor.connection.alias).only("pk", "title")
    batch = []
    for movie in movies.iterator(chunk_size=2000):
        movie.title_key = normalize_title(movie.title)
        batch.append(movie)
        if len(batch) == 2000:
            Movie.objects.bulk_update(batch, ["title_key"])
            batch = []
    Movie.objects.bulk_update(batch, ["title_key"])


def postgres_sql(statements: list[str]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("movies", "0001_initial"),
    ]

    operations = [
        # No-ops on other databases.
        TrigramExtension(),
        UnaccentExtension(),
        migrations.AddField(
            model_name="movie",
            name="title_key",
            field=models.CharField(blank=True, editable=False, max_length=255),
        ),
        migrations.RunPython(fill_title_keys, migrations.RunPython.noop),
        migrations.RunPython(
            postgres_sql(POSTGRES_FORWARDS), postgres_sql(POSTGRES_BACKWARDS)
        ),
        migrations.AlterModelOptions(
            name="movie",
            options={"ordering": ["title_key", "id"]},
        ),
        migrations.RemoveIndex(
            model_name="movie",
            name="movies_title_idx",
        ),
        migrations.AddIndex(
            model_name="movie",
            index=models.Index(fields=["title_key", "id"], name="movies_title_key_idx"),
        ),
    ]
