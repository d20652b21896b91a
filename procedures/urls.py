from django.urls import path

from procedures import views

app_name = "procedures"
urlpatterns = [
    path("", views.home, name="home"),
    path("thu-tuc/", views.search_view, name="search"),
    path("thu-tuc/<str:code>/", views.procedure_detail, name="detail"),
    path("thu-tuc/<str:code>/bieu-mau/<int:order>/", views.form_download, name="form"),
    path("co-quan/<slug:slug>/", views.agency_detail, name="agency"),
]
