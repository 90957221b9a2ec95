from django.contrib.auth import views as auth_views
from django.urls import path

from circles.accounts import twofactor_views, views

app_name = "accounts"

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("signup/sent/", views.signup_sent, name="signup_sent"),
    path("signup/resend/", views.resend_verification, name="resend_verification"),
    path("verify/<str:token>/", views.verify_address, name="verify_address"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/code/", twofactor_views.login_code, name="login_code"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("logout/everywhere/", views.sign_out_everywhere, name="logout_everywhere"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(template_name="accounts/password_reset_complete.html"),
        name="password_reset_complete",
    ),
    path("settings/", views.settings_page, name="settings"),
    path("settings/password/", views.password_change, name="password_change"),
    path("settings/two-factor/", twofactor_views.twofactor_settings, name="twofactor"),
    path("settings/tokens/", views.tokens, name="tokens"),
    path("settings/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("push/", views.push_subscribe, name="push_subscribe"),
    path("push/<int:subscription_id>/remove/", views.push_remove, name="push_remove"),
    # "accounts:data", "accounts:data_export" and "accounts:data_erase" (/accounts/data/…) live in
    # circles/records/urls.py: they gather what every app keeps about the person.
]
