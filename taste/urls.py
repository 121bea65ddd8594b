from django.urls import path

import ratings.urls  # noqa: F401 (registers the "id64" path converter)
from taste.views import MyTasteProfileViewSet, UserTasteProfileViewSet

app_name = "taste"

urlpatterns = [
    path(
        "users/me/stats/",
        MyTasteProfileViewSet.as_view({"get": "retrieve"}),
        name="my-stats",
    ),
    path(
        "users/<id64:id>/stats/",
        UserTasteProfileViewSet.as_view({"get": "retrieve"}),
        name="user-stats",
    ),
]
