from django.urls import path

import ratings.urls  # noqa: F401 (registers the "id64" path converter)
from diary.views import MyDiaryEntryViewSet, MyDiaryViewSet, UserDiaryViewSet

app_name = "diary"

urlpatterns = [
    path(
        "users/me/diary/",
        MyDiaryViewSet.as_view({"get": "list", "post": "create"}),
        name="my-diary",
    ),
    path(
        "users/me/diary/<id64:id>/",
        MyDiaryEntryViewSet.as_view({"patch": "partial_update", "delete": "destroy"}),
        name="my-diary-entry",
    ),
    path(
        "users/<id64:id>/diary/",
        UserDiaryViewSet.as_view({"get": "list"}),
        name="user-diary",
    ),
]
