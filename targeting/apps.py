from django.apps import AppConfig


class TargetingConfig(AppConfig):
    name = "targeting"

    def ready(self) -> None:
        # targeting builds on chat: tracking and offers on its visitor socket.
        from leads import attribution as lead_attribution
        from targeting import sockets
        from targeting.attribution import offer_rule

        sockets.register()
        lead_attribution.register(offer_rule)
