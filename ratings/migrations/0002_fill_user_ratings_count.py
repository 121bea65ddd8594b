from django.db import migrations
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce


def fill_ratings_counts(apps, schema_editor):
    """Store each user's number of ratings, counted in one UPDATE."""
    User = apps.get_model("users", "User")
    Rating = apps.get_model("ratings", "Rating")
    alias = schema_editor.connection.alias
    per_user = (
        Rating.objects.using(alias)
        .filter(user=OuterRef("pk"))
        .order_by()
        .values("user")
        .annotate(count=Count("pk"))
        .values("count")
    )
    User.objects.using(alias).update(ratings_count=Coalesce(Subquery(per_user), 0))


class Migration(migrations.Migration):

    dependencies = [
        ('ratings', '0001_initial'),
        ('users', '0004_user_ratings_count'),
    ]

    operations = [
        migrations.RunPython(fill_ratings_counts, migrations.RunPython.noop),
    ]
