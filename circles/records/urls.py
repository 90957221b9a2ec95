from django.urls import path

from circles.records import views

# "Your data" gathers what every app keeps, so its pages live here, at the top of the stack;
# circles/urls.py serves them in the account's section, at /accounts/data/… as "accounts:data…".
accounts_section = [
    path("data/", views.data_page, name="data"),
    path("data/export/", views.data_export, name="data_export"),
    path("data/erase/", views.data_erase, name="data_erase"),
]
