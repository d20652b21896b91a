"""The Decision 766 scorecard (intake/scorecard/views.py): the page, each source's misses, the
national dashboard's figures entered by managers."""

from django.urls import path

from intake.scorecard import views as scorecard

urlpatterns = [
    path("thong-ke/chi-so-766/", scorecard.scorecard_page, name="scorecard"),
    path(
        "thong-ke/chi-so-766/nguon/<str:code>/", scorecard.scorecard_misses, name="scorecard_misses"
    ),
    path(
        "thong-ke/chi-so-766/so-lieu-quoc-gia/",
        scorecard.national_figures,
        name="scorecard_national",
    ),
]
