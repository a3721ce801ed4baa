from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "leads"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from corsheaders.signals import check_request_enabled

        from leads.cors import cors_allow_site_origins

        check_request_enabled.connect(cors_allow_site_origins)
