from django.apps import AppConfig


class SparkadsConfig(AppConfig):
    name = "sparkads"
