from django.urls import path

from apps.influxaccess import views

app_name = "influxaccess"
urlpatterns = [
    path("", views.access, name="access"),
    path("create/", views.create, name="create"),
    path("delete/", views.delete, name="delete"),
]
