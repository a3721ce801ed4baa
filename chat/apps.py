from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


def _forget_site(sender, instance, **kwargs) -> None:
    # Cache upkeep only: the visitor handshake's in-memory sites (chat.sitecache).
    from chat.sitecache import site_forget

    site_forget(site=instance)


class ChatConfig(AppConfig):
    name = "chat"

    def ready(self) -> None:
        from chat.models import Site

        post_save.connect(_forget_site, sender=Site, dispatch_uid="chat.sitecache.save")
        post_delete.connect(
            _forget_site, sender=Site, dispatch_uid="chat.sitecache.delete"
        )
