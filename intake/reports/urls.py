"""The reports' addresses: public transparency (views/transparency.py) and satisfaction ratings
(views/satisfaction.py: the counter's tablet, the page of managers and department heads with the
follow-ups of unhappy ratings); the managers' statistics (views/statistics.py: the dashboard,
its exports, the dossiers behind each number); the statistics of feedback and petitions
(views/petitions.py)."""

from django.urls import path

from intake.reports.views import petitions as petition_statistics
from intake.reports.views import satisfaction, statistics, transparency

urlpatterns = [
    path("minh-bach/", transparency.transparency, name="transparency"),
    path("minh-bach/<slug:slug>/", transparency.transparency_agency, name="transparency_agency"),
    path("mot-cua/danh-gia/<str:code>/", satisfaction.counter_rating, name="counter_rating"),
    path("danh-gia/", satisfaction.satisfaction, name="satisfaction"),
    path("danh-gia/<str:code>/dong/", satisfaction.follow_up_close, name="follow_up_close"),
    path("thong-ke/", statistics.dashboard, name="statistics"),
    path("thong-ke/ho-so/", statistics.dossiers, name="statistics_dossiers"),
    path(
        "thong-ke/phan-anh-kien-nghi/",
        petition_statistics.petition_statistics,
        name="petition_statistics",
    ),
    path(
        "thong-ke/phan-anh-kien-nghi/bang.xlsx",
        petition_statistics.petition_statistics_xlsx,
        name="petition_statistics_xlsx",
    ),
    path(
        "thong-ke/phan-anh-kien-nghi/danh-sach/",
        petition_statistics.petition_statistics_list,
        name="petition_statistics_list",
    ),
]
