from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class UsersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "users"

    def ready(self) -> None:
        from users import schema  # noqa: F401 (registers the OpenAPI extension)
        from users.models import User
        from users.versions import user_deleted, user_saved

        post_save.connect(user_saved, sender=User, dispatch_uid="users.user_saved")
        post_delete.connect(
            user_deleted, sender=User, dispatch_uid="users.user_deleted"
        )
