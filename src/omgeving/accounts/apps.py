from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "omgeving.accounts"
    label = "accounts"
    verbose_name = "Users"
