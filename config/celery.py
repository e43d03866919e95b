import os

from celery import Celery
from django_structlog.celery.steps import DjangoStructLogInitStep

from core import metrics_celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("preinfusion")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The worker logs as the web does (JSON lines), each task's lines with the request id that sent it
# (django-structlog), and serves its metrics when CELERY_METRICS_PORT is set (core/metrics_celery.py).
app.steps["worker"].add(DjangoStructLogInitStep)
metrics_celery.connect()


@app.task(name="config.ping", acks_late=True)
def ping(value: int) -> dict:
    """Health check for the worker: echoes a number back, touching nothing else."""
    return {"pong": value}
