from django.urls import path

from apps.outside import views

app_name = "outside"
urlpatterns = [path("models/<int:pk>/retry/", views.retry, name="retry")]
