"""Sharing through the REST API: the same ``grants`` routes on projects, models and jobs."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.sharing.services import LEVELS, find_grantee, grants_of, require_owner, revoke, share


class GrantSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["user", "team"])
    name = serializers.CharField(help_text="The user's e-mail address or the team's name")
    level = serializers.ChoiceField(choices=LEVELS)


class GrantRequestSerializer(serializers.Serializer):
    user = serializers.CharField(required=False, allow_blank=True, help_text="E-mail address")
    team = serializers.CharField(required=False, allow_blank=True, help_text="Team name")
    level = serializers.ChoiceField(choices=LEVELS, default="view")


class RevokeRequestSerializer(serializers.Serializer):
    user = serializers.CharField(required=False, allow_blank=True, help_text="E-mail address")
    team = serializers.CharField(required=False, allow_blank=True, help_text="Team name")


def _grant_list(obj) -> Response:
    return Response(GrantSerializer([g.__dict__ for g in grants_of(obj)], many=True).data)


class SharingActions:
    """Mixed into a viewset whose ``get_object`` answers 404 for objects the user cannot see."""

    @extend_schema(responses=GrantSerializer(many=True))
    @action(detail=True, methods=["get"])
    def grants(self, request, pk=None):
        """Who this object is shared with (grants on it; a project grant also covers its models
        and jobs)."""
        return _grant_list(self.get_object())

    @extend_schema(request=GrantRequestSerializer, responses=GrantSerializer(many=True))
    @action(detail=True, methods=["post"], url_path="grants/share")
    def share(self, request, pk=None):
        """Share with a user (by e-mail address) or a team at view or edit level (owner only)."""
        obj = self.get_object()
        require_owner(request.user, obj)
        data = GrantRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        grantee = find_grantee(
            user=data.validated_data.get("user", ""), team=data.validated_data.get("team", "")
        )
        share(obj, grantee, data.validated_data["level"])
        return _grant_list(obj)

    @extend_schema(request=RevokeRequestSerializer, responses=GrantSerializer(many=True))
    @action(detail=True, methods=["post"], url_path="grants/revoke")
    def revoke(self, request, pk=None):
        """Take a grant back (owner only); 404 when there was no such grant."""
        obj = self.get_object()
        require_owner(request.user, obj)
        data = RevokeRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        grantee = find_grantee(
            user=data.validated_data.get("user", ""), team=data.validated_data.get("team", "")
        )
        if not revoke(obj, grantee):
            raise Http404("No such grant on this object.")
        return _grant_list(obj)
