from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from health_check.views import HealthCheckView
from rest_framework.routers import DefaultRouter

from apps.accounts.views import admin_login
from apps.dashboard.views import home
from apps.jobs.api.views import JobViewSet, WorkflowListView
from apps.models.api.views import EsdlModelViewSet, ProjectViewSet
from apps.operations.metrics import metrics_view
from apps.outside.views import JobInputsView, RetryView

router = DefaultRouter()
router.register("projects", ProjectViewSet, basename="project")
router.register("models", EsdlModelViewSet, basename="esdlmodel")
router.register("jobs", JobViewSet, basename="job")

# Staff log in through allauth (two-factor, rate limits), never through the admin's password form.
admin.site.login = admin_login

health = HealthCheckView.as_view(
    checks=[
        "health_check.checks.Database",
        "health_check.checks.Cache",
        "designtoolkit.health.RabbitMQ",
        "designtoolkit.health.InfluxDB",
        "designtoolkit.health.InfluxOpenFiles",
        "designtoolkit.health.Workers",
    ]
)
# Outside data feeds apart: a stale price feed degrades figures (the static ones stand in) but
# must not make a load balancer or orchestrator take a working web process out.
outside_sources_health = HealthCheckView.as_view(checks=["apps.keyfigures.health.KeyFigureSources"])

urlpatterns = [
    path("", home, name="home"),
    path("accounts/", include("allauth.urls")),
    path("account/", include("apps.accounts.urls")),
    path("admin/", admin.site.urls),
    path("projects/", include("apps.models.project_urls")),
    path("models/", include("apps.models.urls")),
    path("jobs/", include("apps.jobs.urls")),
    path("profiles/", include("apps.profiles.urls")),
    path("account/influx/", include("apps.influxaccess.urls")),
    path("sharing/", include("apps.sharing.urls")),
    path("helpdesk/", include("apps.helpdesk.urls")),
    path("notifications/", include("apps.notifications.urls")),
    path("", include("apps.comparison.urls")),
    path("api/compare/", include("apps.comparison.api_urls")),
    path("api/workflows/", WorkflowListView.as_view(), name="api-workflows"),
    path("outside/", include("apps.outside.urls")),
    path("api/models/<int:pk>/retry-outside/", RetryView.as_view(), name="api-retry-outside"),
    path("api/jobs/<uuid:pk>/inputs/", JobInputsView.as_view(), name="api-job-inputs"),
    path("api/", include("apps.network.api_urls")),
    path("api/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("health/", health, name="health"),
    path("health/sources/", outside_sources_health, name="health-sources"),
    path("metrics", metrics_view, name="metrics"),
]

handler500 = "designtoolkit.server_errors.server_error"
