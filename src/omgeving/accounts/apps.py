from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "omgeving.accounts"
    label = "accounts"
    verbose_name = _("Users")

    def ready(self):
        from omgeving.changes.services import register
        from omgeving.tenancy import housekeeping

        from . import lockout
        from .models import User

        housekeeping.register("login counters", lockout.prune)

        # A login's hash upgrade, last_login and token version are not changes of the person.
        register(User, "users", grant_family="users",
                 ignore_fields={"password", "last_login", "token_version"})
