import gc
import importlib

import pytest

from circles.lib.heap import freeze_loaded_objects


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()  # the rest of the test run collects as before


def test_freezing_keeps_what_is_loaded_out_of_the_collectors_passes(unfrozen):
    kept = [[n] for n in range(1000)]  # long-lived objects, as a loaded app's are
    frozen = freeze_loaded_objects()
    # (The count can drop by the odd object freed meanwhile, by another thread of the test process.)
    assert frozen > len(kept) and gc.get_freeze_count() > len(kept)
    walked = {id(obj) for obj in gc.get_objects()}  # what a full pass would walk
    assert not any(id(obj) in walked for obj in kept)
    made_later = [[n] for n in range(10)]  # what a request makes is still collected as before
    walked = {id(obj) for obj in gc.get_objects()}
    assert all(id(obj) in walked for obj in made_later)


def test_the_web_servers_entry_point_freezes_the_loaded_app(unfrozen):
    import circles.wsgi

    gc.unfreeze()
    importlib.reload(circles.wsgi)
    assert gc.get_freeze_count() > 10_000
    assert callable(circles.wsgi.application)
