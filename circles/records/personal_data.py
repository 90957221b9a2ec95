"""Django's own catalogue holds nothing about a person (circles/lib/personal_data.py)."""

from django.contrib.contenttypes.models import ContentType

from circles.lib.personal_data import PersonalData

PERSONAL_DATA = PersonalData(not_member_data={ContentType: "Django's catalogue of models."})
