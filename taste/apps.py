from django.apps import AppConfig


class TasteConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "taste"
