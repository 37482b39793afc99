from django.urls import path

from apps.sharing import views

app_name = "sharing"
urlpatterns = [
    path("teams/", views.team_list, name="teams"),
    path("teams/<int:pk>/", views.team_detail, name="team"),
    path("teams/<int:pk>/delete/", views.team_delete, name="team-delete"),
    path("<str:kind>/<str:pk>/share/", views.share_object, name="share"),
    path("<str:kind>/<str:pk>/revoke/", views.revoke_object, name="revoke"),
]
