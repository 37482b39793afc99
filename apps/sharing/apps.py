from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "apps.sharing"
    label = "sharing"
    verbose_name = "Sharing"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db.models.signals import m2m_changed

        from apps.sharing.receivers import team_membership_changed

        m2m_changed.connect(
            team_membership_changed,
            sender=get_user_model().groups.through,
            dispatch_uid="sharing.team_membership_changed",
        )
