from django.db import models


class RecommenderModel(models.Model):
    """A trained item model, stored so that every process serves the same one.

    Its id is its version. ``manage.py train_recommender`` writes a new row and
    makes it the active one in one transaction; servers load the active row's
    ``artefact`` once and notice a newer active row through a cheap check.
    """

    format_version = models.PositiveSmallIntegerField(
        help_text="Layout of the artefact; servers ignore formats they cannot read."
    )
    algorithm = models.CharField(max_length=32)
    parameters = models.JSONField(default=dict)
    artefact = models.BinaryField()
    artefact_bytes = models.PositiveBigIntegerField(default=0)
    users = models.PositiveIntegerField(default=0, help_text="Users learned from.")
    items = models.PositiveIntegerField(default=0, help_text="Films learned.")
    ratings = models.PositiveIntegerField(default=0, help_text="Ratings learned from.")
    training_seconds = models.FloatField(default=0)
    is_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"],
                condition=models.Q(is_active=True),
                name="recommendations_one_active_model",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.algorithm} v{self.pk} ({self.items} films)"
