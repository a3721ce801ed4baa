from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "leads"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from corsheaders.signals import check_request_enabled

        from leads.cors import cors_allow_site_origins

        check_request_enabled.connect(cors_allow_site_origins)

        # Services queue tasks by name (leads.services.notices.notices_enqueue):
        # register them in every process, not only in workers that autodiscover.
        import leads.tasks  # noqa: F401

        # leads builds on chat: it hears chat's hooks and adds to its sockets.
        from chat import hooks
        from leads import sockets
        from leads.services.availability import availability_refresh
        from leads.services.privacy import personal_data_viewed

        hooks.staffing_changed.connect(availability_refresh)
        hooks.personal_data_viewed.connect(personal_data_viewed)
        sockets.register()
