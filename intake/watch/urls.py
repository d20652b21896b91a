"""The bell (intake/watch/views.py): the signed-in person's notifications."""

from django.urls import path

from intake.watch import views as notifications

urlpatterns = [
    path("thong-bao/", notifications.notifications, name="notifications"),
    path("thong-bao/doc-het/", notifications.notifications_read_all, name="notifications_read_all"),
    path(
        "thong-bao/<uuid:public_id>/doc/", notifications.notification_read, name="notification_read"
    ),
    path(
        "thong-bao/<uuid:public_id>/mo/", notifications.notification_open, name="notification_open"
    ),
]
