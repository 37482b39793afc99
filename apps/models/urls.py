from django.urls import path

from apps.models import views

app_name = "models"
urlpatterns = [path("<int:pk>/", views.model_detail, name="detail")]
