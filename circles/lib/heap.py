"""What the web server does with its memory once the app is loaded (circles/wsgi.py).

Python's cyclic garbage collector now and then walks every object the process holds (a full
collection). A loaded Django process holds well over a hundred thousand objects (modules, models, URL
patterns, templates) that live as long as it does, so each full collection costs tens of milliseconds,
paid by whichever request happens to trigger it: the slow tail of every page (bench/caseload.py showed
one request in five taking twice the median). Freezing what exists after start-up moves those objects
out of the collector's sight for good; requests' own objects are collected as before. What is loaded
later (templates, URL patterns, translations on the first requests) is not frozen and is walked as
before. A frozen object that later becomes part of a garbage cycle is never freed: what start-up loaded
stays for the process's life anyway, so that is at most a small, bounded amount. With gunicorn's
`--preload`, freezing before the fork also means the collector no longer writes to the pages the
workers share, so fewer of them are copied.
"""

import gc


def freeze_loaded_objects() -> int:
    """Collects what start-up left as garbage, then freezes the rest; returns how many were frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
