from django.urls import path

from apps.accounts import views

app_name = "accounts"
urlpatterns = [
    path("", views.account, name="account"),
    path("tokens/", views.create_token, name="create-token"),
    path("tokens/revoke/", views.revoke_token, name="revoke-token"),
]
