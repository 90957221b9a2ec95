"""The care app's pages, one module per audience and task; circles/care/urls.py joins their urlpatterns."""
