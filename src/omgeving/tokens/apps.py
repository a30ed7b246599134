from django.apps import AppConfig


class TokensConfig(AppConfig):
    name = "omgeving.tokens"
    label = "tokens"
    verbose_name = "Tokens"
