app_name = "movies"
urlpatterns: list = []
