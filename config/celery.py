import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("preinfusion")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="config.ping", acks_late=True)
def ping(value: int) -> dict:
    """Health check for the worker: echoes a number back, touching nothing else."""
    return {"pong": value}
