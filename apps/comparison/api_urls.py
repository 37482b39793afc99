from django.urls import path

from apps.comparison import api

urlpatterns = [
    path("series/", api.CompareSeriesView.as_view(), name="api-compare-series"),
    path("options/", api.CompareOptionsView.as_view(), name="api-compare-options"),
    path("kpis/", api.CompareKpisView.as_view(), name="api-compare-kpis"),
    path("differences/", api.CompareDifferencesView.as_view(), name="api-compare-differences"),
]
