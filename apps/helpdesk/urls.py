from django.urls import path

from apps.helpdesk import views

app_name = "helpdesk"
urlpatterns = [
    path("", views.ticket_list, name="list"),
    path("new/", views.new_ticket, name="new"),
    path("<int:pk>/", views.ticket_detail, name="detail"),
    path("<int:pk>/reply/", views.ticket_reply, name="reply"),
    path("<int:pk>/manage/", views.ticket_manage, name="manage"),
    path("<int:pk>/team/", views.ticket_team, name="team"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
]
