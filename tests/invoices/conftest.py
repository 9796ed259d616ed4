import pytest


@pytest.fixture
def tasks_inline():
    """Tasks run inline in the calling process, whatever the broker (worker tests cover queues)."""
    from config.celery import app

    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = saved
