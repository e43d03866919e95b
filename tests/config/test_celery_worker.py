import pytest
from django.conf import settings

from config.celery import ping

pytestmark = pytest.mark.services


def test_a_real_worker_runs_a_task_and_returns_its_result(celery_worker_process):
    assert settings.CELERY_TASK_ALWAYS_EAGER is False
    result = ping.delay(41)
    assert result.get(timeout=30) == {"pong": 41}
    assert result.successful()


def test_celery_defaults_are_production_safe():
    from config.celery import app

    conf = app.conf
    assert conf.task_serializer == "json"
    assert conf.accept_content == ["json"]
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.task_time_limit and conf.task_soft_time_limit < conf.task_time_limit
