"""A killed worker loses no task, and a worker's memory stays bounded (issue 15, first part)."""

from django.conf import settings

from config.celery import app


def test_a_task_of_a_dead_worker_is_delivered_again_soon_after_its_time_limit():
    timeout = app.conf.broker_transport_options["visibility_timeout"]
    assert settings.CELERY_TASK_TIME_LIMIT < timeout <= settings.CELERY_TASK_TIME_LIMIT + 300
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost


def test_worker_children_are_replaced_before_their_memory_grows_without_bound():
    assert 0 < app.conf.worker_max_tasks_per_child <= 200
    assert app.conf.worker_max_memory_per_child > 0
