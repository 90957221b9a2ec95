"""The worker's heartbeat, written from a thread of its own.

`/healthz` calls a worker dead when its heartbeat is older than WORKER_STALE_SECONDS. Written from the
main loop, a long periodic pass or a slow send would make a live worker look dead; written here, the
heartbeat says only whether the process is alive and can reach the database.
"""

import threading

from django.utils import timezone

from circles.lib.repeating import RepeatingThread
from circles.worker.models import WorkerHeartbeat


class HeartbeatWriter:
    def __init__(self, name: str, every: float) -> None:
        self.name = name
        self.every = every
        self._jobs_run = 0
        self._lock = threading.Lock()
        self._thread = RepeatingThread("worker-heartbeat", every=lambda: every, work=self.beat)

    def count(self, jobs: int) -> None:
        """Adds jobs done by the main loop; the next beat records the total."""
        with self._lock:
            self._jobs_run += jobs

    def beat(self) -> None:
        with self._lock:
            jobs_run = self._jobs_run
        WorkerHeartbeat.objects.update_or_create(
            name=self.name, defaults={"last_seen_at": timezone.now(), "jobs_run": jobs_run}
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._thread.stop()
