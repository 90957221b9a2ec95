"""Django's own catalogue holds nothing about a person (circles/lib/records.py)."""

from django.contrib.contenttypes.models import ContentType

from circles.lib.records import PersonalData

PERSONAL_DATA = PersonalData(not_member_data={ContentType: "Django's catalogue of models."})
