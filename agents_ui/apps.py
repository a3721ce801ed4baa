from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_out


def _counselor_logged_out(sender, request, user, **kwargs) -> None:
    """An explicit logout (console or admin) is going offline: the counselor's chats
    are requeued or handed over at once, not after the presence grace."""
    from chat.models import CounselorProfile
    from chat.selectors import counselor_for_user
    from chat.services.presence import counselor_set_status

    counselor = counselor_for_user(user)
    if counselor is None or counselor.status == CounselorProfile.Status.OFFLINE:
        return
    counselor_set_status(
        counselor=counselor, status=CounselorProfile.Status.OFFLINE, why="logged_out"
    )


class AgentsUiConfig(AppConfig):
    name = "agents_ui"

    def ready(self) -> None:
        user_logged_out.connect(
            _counselor_logged_out, dispatch_uid="agents_ui.counselor_logged_out"
        )
