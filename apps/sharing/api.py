"""Sharing through the REST API: the same ``grants`` routes on projects, models and jobs."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.sharing.access import require_owner
from apps.sharing.services import LEVELS, find_grantee, grants_of, revoke, share


class GrantSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["user", "team"])
    name = serializers.CharField(help_text="The user's e-mail address or the team's name")
    level = serializers.ChoiceField(choices=LEVELS)


class RevokeRequestSerializer(serializers.Serializer):
    user = serializers.CharField(required=False, allow_blank=True, help_text="E-mail address")
    team = serializers.CharField(required=False, allow_blank=True, help_text="Team name")


class GrantRequestSerializer(RevokeRequestSerializer):
    level = serializers.ChoiceField(choices=LEVELS, default="view")


def _grant_list(obj) -> Response:
    return Response(GrantSerializer([g.__dict__ for g in grants_of(obj)], many=True).data)


class SharingActions:
    """Mixed into a viewset whose ``get_object`` answers 404 for objects the user cannot see."""

    def _owned_object_and_grantee(self, request, serializer_class, to_share: bool = True):
        """The object (404 unless visible, 403 unless owned), the named grantee, the request."""
        obj = self.get_object()
        require_owner(request.user, obj)
        data = serializer_class(data=request.data)
        data.is_valid(raise_exception=True)
        named = data.validated_data
        grantee = find_grantee(
            user=named.get("user", ""), team=named.get("team", ""), to_share=to_share
        )
        return obj, grantee, named

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
        obj, grantee, data = self._owned_object_and_grantee(request, GrantRequestSerializer)
        share(obj, grantee, data["level"])
        return _grant_list(obj)

    @extend_schema(request=RevokeRequestSerializer, responses=GrantSerializer(many=True))
    @action(detail=True, methods=["post"], url_path="grants/revoke")
    def revoke(self, request, pk=None):
        """Take a grant back (owner only); 404 when there was no such grant."""
        obj, grantee, _ = self._owned_object_and_grantee(
            request, RevokeRequestSerializer, to_share=False
        )
        if not revoke(obj, grantee):
            raise Http404("No such grant on this object.")
        return _grant_list(obj)
