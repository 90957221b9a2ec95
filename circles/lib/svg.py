"""A very small SVG writer for server-rendered pictures (no chart library, no script)."""

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def attrs(**values) -> str:
    parts = []
    for key, value in values.items():
        if value is None or value is False:
            continue
        name = key.rstrip("_").replace("_", "-")
        if isinstance(value, float):
            value = f"{value:.1f}"
        parts.append(f'{name}="{escape(str(value))}"')
    return " ".join(parts)


def element(tag: str, content: str = "", **values) -> str:
    """One SVG element; `content` must already be safe markup (use text() for words)."""
    opening = f"<{tag} {attrs(**values)}".rstrip()
    return f"{opening}>{content}</{tag}>" if content else f"{opening}/>"


def text(words: str, **values) -> str:
    return element("text", escape(words), **values)


def document(
    content: list[str], *, width: int, height: int, title: str, description: str, role: str = "img", **values
) -> SafeString:
    """An accessible SVG with a title and description that screen readers announce.

    role=img makes the picture one image; a picture holding links must be a "group" instead, or the
    links inside it are hidden from assistive technology.
    """
    head = element("title", escape(title)) + element("desc", escape(description))
    body = head + "".join(content)
    return mark_safe(  # noqa: S308 — every piece of text above went through escape()
        element(
            "svg",
            body,
            xmlns="http://www.w3.org/2000/svg",
            viewBox=f"0 0 {width} {height}",
            role=role,
            **values,
        )
    )
