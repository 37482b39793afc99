from django.urls import path

from apps.network import api

urlpatterns = [
    path("models/<int:pk>/network/", api.ModelNetworkView.as_view(), name="api-model-network"),
    path("jobs/<uuid:pk>/network/", api.JobNetworkView.as_view(), name="api-job-network"),
    path(
        "jobs/<uuid:pk>/network-values/",
        api.JobNetworkValuesView.as_view(),
        name="api-job-network-values",
    ),
    path(
        "jobs/<uuid:pk>/asset-results/",
        api.JobAssetResultsView.as_view(),
        name="api-job-asset-results",
    ),
]
