from django.urls import path

from apps.profiles import views

app_name = "profiles"
urlpatterns = [path("bindings/<int:pk>/csv/", views.upload_binding_csv, name="binding-csv")]
