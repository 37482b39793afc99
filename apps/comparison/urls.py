from django.urls import path

from apps.comparison import views

app_name = "comparison"
urlpatterns = [path("projects/<int:pk>/compare/", views.compare, name="compare")]
