"""Form pages shared by every app."""

from django.shortcuts import render


def form_page(request, template: str, context: dict):
    """Renders a form page; a rejected submission answers 400 so clients can tell."""
    status = 400 if request.method == "POST" else 200
    return render(request, template, context, status=status)
