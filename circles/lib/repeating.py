"""A background thread that does one piece of database work every so often, on its own connection.

The worker runs two: the lease keeper (circles/alerts/delivery.py) and the heartbeat
(circles/worker/heartbeat.py). While the database is away the work is skipped with a warning and tried
again next time; the thread's connection is closed when it stops.
"""

import logging
import threading
from collections.abc import Callable

from django.db import DatabaseError, connection

log = logging.getLogger(__name__)


class RepeatingThread:
    def __init__(self, name: str, every: Callable[[], float], work: Callable[[], object]) -> None:
        self.name, self.every, self.work = name, every, work
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.every()):
                try:
                    self.work()
                except DatabaseError:  # the database is away: try again next time
                    log.warning("%s: the database did not answer; trying again", self.name, exc_info=True)
                    connection.close()
        finally:
            connection.close()  # this thread's own connection
