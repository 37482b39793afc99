from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "apps.notifications"
    label = "notifications"

    def ready(self) -> None:
        from apps.notifications.receivers import tell_of_share
        from apps.sharing.signals import shared

        shared.connect(tell_of_share, dispatch_uid="notifications.tell_of_share")
