"""Web Push to a person's devices (contract of issue 14; helper "push" writes the real module).

This stub holds only the agreed signatures so that code built on them imports; the lead replaces it
with the real one when the branches are merged.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class PushMessage:
    title: str  # minimum words, never health details ("Riley could use support now")
    body: str
    url: str  # a path on this site the notification opens, e.g. "/alerts/answer/…"
    tag: str  # notifications with one tag replace each other on the device
    urgent: bool = False  # Urgency: high (alerts) vs normal (reminders)


class PushFailed(Exception):
    def __init__(self, message: str = "", *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def has_push(user) -> bool:
    raise NotImplementedError("circles.accounts.push is a stub until the push branch is merged")


def send_push(user, message: PushMessage) -> int:
    """Sends to every subscription of `user`; returns how many accepted (2xx); 0 when there are none.

    Raises PushFailed when the user had subscriptions and none accepted for another reason.
    """
    raise NotImplementedError("circles.accounts.push is a stub until the push branch is merged")
