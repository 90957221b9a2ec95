"""The worker keeps nothing about a person (circles/lib/personal_data.py)."""

from circles.lib.personal_data import PersonalData
from circles.worker.models import SchedulerLease, WorkerHeartbeat

PERSONAL_DATA = PersonalData(
    not_member_data={
        WorkerHeartbeat: "The background worker's own liveness record (host and process id).",
        SchedulerLease: "Which worker runs the periodic jobs and when each job last ran.",
    },
)
