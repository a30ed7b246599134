from django.apps import AppConfig


class NetworkConfig(AppConfig):
    name = "omgeving.network"
    label = "network"
    verbose_name = "Care network"
