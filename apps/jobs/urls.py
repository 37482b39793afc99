from django.urls import path

from apps.jobs import views

app_name = "jobs"
urlpatterns = [
    path("", views.job_list, name="list"),
    path("<uuid:pk>/", views.job_detail, name="detail"),
    path("<uuid:pk>/output.esdl", views.output_esdl, name="output-esdl"),
    path("<uuid:pk>/rename/", views.rename, name="rename"),
    path("<uuid:pk>/cancel/", views.cancel, name="cancel"),
    path("<uuid:pk>/delete/", views.delete, name="delete"),
    path("submit/<int:model_pk>/", views.submit, name="submit"),
    path("<uuid:pk>/save-variation/", views.save_variation, name="save-variation"),
]
