"""The base of every API input schema."""

from typing import Any

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
