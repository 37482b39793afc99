from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import Group

from apps.sharing.models import Team, TeamManagerRole


class TeamManagerRoleInline(admin.TabularInline):
    model = TeamManagerRole
    extra = 0
    autocomplete_fields = ["user"]


# Groups are teams to everyone: one admin page under that name, with the team's managers.
admin.site.unregister(Group)


@admin.register(Team)
class TeamAdmin(GroupAdmin):
    inlines = [TeamManagerRoleInline]
