"""`make run` (manage.py serve) when its background worker dies: the site stays up and says what to do."""

import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def health_status(port: int) -> int | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def wait_for(condition, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.2)
    return None


def test_serve_keeps_the_site_up_when_the_worker_is_killed_and_says_how_to_restart_it(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CACHE_URL")}
    env.update(
        SQLITE_PATH=str(tmp_path / "serve.sqlite3"), WORKER_POLL_SECONDS="0.2", WORKER_STALE_SECONDS="2"
    )
    subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=120
    )
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as output:
        process = subprocess.Popen(  # noqa: S603
            [sys.executable, "manage.py", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        assert wait_for(lambda: health_status(port) == 200), log.read_text()
        worker_pid = int(re.search(r"Background worker: process (\d+)", log.read_text()).group(1))
        os.kill(worker_pid, signal.SIGKILL)
        assert wait_for(lambda: "The background worker stopped" in log.read_text()), log.read_text()
        # The web server carries on and tells monitors that nothing is being sent.
        assert process.poll() is None
        assert wait_for(lambda: health_status(port) == 503), log.read_text()
        assert "manage.py run_worker" in log.read_text()
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, log.read_text()
    assert "Circles stopped." in log.read_text()
