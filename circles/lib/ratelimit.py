"""Counting attempts in fixed windows, in Django's cache, so every web process and machine sees the same
count (Redis in production, the database under `make run`; never one process's memory).

A rate is written "count/seconds" in settings, e.g. RATE_LIMIT_PASSWORD_RESET = "3/3600".
"""

import hashlib
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.shortcuts import render
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> "Rate":
        count, _slash, seconds = text.partition("/")
        rate = cls(int(count), int(seconds))
        if rate.count < 1 or rate.seconds < 1:
            raise ValueError(f"A rate is 'count/seconds' with both at least 1, not {text!r}")
        return rate


class RateLimited(Exception):  # noqa: N818 — reads as what happened: "rate limited"
    """Raised where a limit is reached; the web and API layers answer 429 with `message`."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


def seconds_left(rate: Rate | str, *, at: float | None = None) -> int:
    """Seconds until the current window ends and the count starts again."""
    rate = Rate.parse(rate) if isinstance(rate, str) else rate
    now = time.time() if at is None else at
    return max(1, int(rate.seconds - now % rate.seconds))


def _key(bucket: str, who: str, window: int) -> str:
    # Addresses and accounts are hashed: the cache never holds who asked, only how often.
    digest = hashlib.sha256(f"{bucket}\x1f{who}".encode()).hexdigest()[:32]
    return f"rl:{bucket}:{digest}:{window}"


def _window(rate: Rate, at: float | None) -> int:
    return int((time.time() if at is None else at) // rate.seconds)


def count(bucket: str, who: str, rate: Rate | str, *, at: float | None = None) -> int:
    """How many attempts `who` has made in `bucket` in the current window."""
    rate = Rate.parse(rate) if isinstance(rate, str) else rate
    return int(cache.get(_key(bucket, who, _window(rate, at)), 0))


def hit(bucket: str, who: str, rate: Rate | str, *, at: float | None = None) -> int:
    """Counts one attempt and returns the count in the current window, this one included."""
    rate = Rate.parse(rate) if isinstance(rate, str) else rate
    key = _key(bucket, who, _window(rate, at))
    # add() creates the counter only if absent; incr() is atomic on Redis.
    cache.add(key, 0, timeout=rate.seconds + 1)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, timeout=rate.seconds + 1)
        return 1


def exceeded(bucket: str, whos: list[str], rate: Rate | str, *, at: float | None = None) -> bool:
    """Counts one attempt for each of `whos` (say, the client address and the email address) and tells
    whether any of them is now over the limit."""
    rate = Rate.parse(rate) if isinstance(rate, str) else rate
    over = False
    for who in whos:
        if who and hit(bucket, who, rate, at=at) > rate.count:
            over = True
    return over


def too_many_tries_message(rate: Rate | str) -> str:
    minutes = max(1, -(-seconds_left(rate) // 60))
    return str(
        _("Too many tries. For your safety, please wait %(minutes)s minutes and try again.")
        % {"minutes": minutes}
    )


def limit(bucket: str, whos: list[str], rate: Rate | str) -> None:
    """Counts one attempt for each of `whos`; raises RateLimited (answered with 429) when any is over."""
    if exceeded(bucket, whos, rate):
        raise RateLimited(too_many_tries_message(rate), seconds_left(rate))


def over_limit(bucket: str, whos: list[str], rate: Rate | str, *, at: float | None = None) -> bool:
    """Whether any of `whos` is already over the limit, without counting an attempt."""
    rate = Rate.parse(rate) if isinstance(rate, str) else rate
    return any(who and count(bucket, who, rate, at=at) >= rate.count for who in whos)


class RateLimitedMiddleware:
    """Answers a RateLimited raised anywhere in a page with the 429 page (the API has its own handler)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, RateLimited):
            return None
        response = render(request, "rate_limited.html", {"message": exception.message}, status=429)
        response["Retry-After"] = str(exception.retry_after)
        return response
