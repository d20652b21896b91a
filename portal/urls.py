from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from portal import health, views
from procedures import api as procedures_api

admin.site.site_header = _("One-stop portal administration")
admin.site.site_title = _("One-stop portal")
admin.site.index_title = _("Catalogue and settings")

portal_patterns = (
    [
        path("can-bo/", views.staff_home, name="staff_home"),
        path("ngon-ngu/<str:code>/", views.switch_language, name="switch_language"),
        path("lich-lam-viec/", views.work_calendar, name="calendar"),
        path("api/v1/due-date", procedures_api.due_date, name="due_date"),
    ],
    "portal",
)

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("", include("procedures.urls")),
    path("", include("intake.urls")),
    path("", include(portal_patterns)),
    path("dang-nhap/", auth_views.LoginView.as_view(), name="login"),
    path("dang-xuat/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("quan-tri/", admin.site.urls),
]
