"""The collector settings a worker process takes once it has booted (config.celery)."""

import gc

import pytest
from celery.signals import worker_process_init, worker_ready

import config.celery  # noqa: F401  (connects the hooks, as the worker's app import does)


@pytest.fixture
def collector():
    """Python's collector as it was before the test, put back after it."""
    threshold = gc.get_threshold()
    gc.unfreeze()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.parametrize("signal", [worker_process_init, worker_ready], ids=["prefork", "threads"])
def test_a_booted_worker_freezes_what_it_loaded_and_raises_gen0(collector, settings, signal):
    settings.WORKER_GC_GEN0_THRESHOLD = 12_345
    _, gen1, gen2 = gc.get_threshold()
    assert gc.get_freeze_count() == 0

    signal.send(sender=None)

    assert gc.get_threshold() == (12_345, gen1, gen2)
    # The modules, settings and task registry the boot loaded are out of the collector's reach.
    assert gc.get_freeze_count() > 10_000


def test_a_threshold_of_zero_leaves_the_collector_as_python_sets_it(collector, settings):
    settings.WORKER_GC_GEN0_THRESHOLD = 0
    before = gc.get_threshold()

    worker_process_init.send(sender=None)

    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
