from django.db import models


class Heartbeat(models.Model):
    """Last time a periodic process showed it is alive (for example Celery beat)."""

    name = models.CharField(max_length=40, primary_key=True)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.at:%Y-%m-%d %H:%M:%S}"
