"""Settings for bench/checkin_throughput.py: production's own (circles/settings.py, read from the same
environment variables), plus a URLconf with the benchmark's bare one-INSERT view and no rate ceilings.

Used only by the benchmark's gunicorn (DJANGO_SETTINGS_MODULE=bench.throughput_settings); nothing in
circles/ imports it.
"""

from circles.settings import *  # noqa: F403 — production's settings, then the two changes below

# The site's URLs and /bench/bare-insert (bench/throughput_urls.py).
ROOT_URLCONF = "bench.throughput_urls"

# The load comes from one address and many accounts at a rate no person reaches: every RATE_LIMIT_*
# (circles/lib/ratelimit.py) is raised out of reach, so a limit can never turn the measurement into a
# count of 429s. Limits still count every attempt in the cache, so what counting costs stays measured.
for _name in [name for name in globals() if name.startswith("RATE_LIMIT_")]:
    globals()[_name] = "1000000000/1"
