"""The base of every API input schema."""

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import field_validator


class InputSchema(Schema):
    """Refuses text with NUL characters, which no person types and PostgreSQL cannot store."""

    @field_validator("*", mode="before")
    @classmethod
    def no_nul_characters(cls, value: Any) -> Any:
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(text, str) and "\x00" in text for text in texts):
            raise ValueError("Text may not contain NUL characters.")
        return value


def apply_patch(instance, changes: dict, nullable: frozenset[str] | set[str] = frozenset()) -> None:
    """Copies a PATCH body onto a record; null is refused except where the field may be empty."""
    for name, value in changes.items():
        if value is None and name not in nullable:
            raise ValidationError({name: _("This field cannot be empty.")})
        setattr(instance, name, value)
