from django.urls import path

from apps.models import variation_views, views

app_name = "models"
urlpatterns = [
    path("<int:pk>/", views.model_detail, name="detail"),
    path("<int:pk>/variation-of/", variation_views.mark, name="variation-mark"),
    path("<int:pk>/variations/copy/", variation_views.copy, name="variation-copy"),
    path("<int:pk>/variations/upload/", variation_views.upload, name="variation-upload"),
]
