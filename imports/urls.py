from django.urls import path

from imports.views import HistoryExportViewSet, HistoryImportViewSet

app_name = "imports"

urlpatterns = [
    path(
        "users/me/imports/",
        HistoryImportViewSet.as_view({"post": "create"}),
        name="history-import",
    ),
    path(
        "users/me/export/",
        HistoryExportViewSet.as_view({"get": "retrieve"}),
        name="history-export",
    ),
]
