from __future__ import annotations

from django.urls import path

from . import views
from .connect import urls as connect_urls
from .insights import urls as insights_urls
from .service_status import urls as service_status_urls
from .sourcing import urls as sourcing_urls
from .team import urls as team_urls

app_name = "integrations"
urlpatterns = [
    *team_urls.urlpatterns,
    # Progress of slow work a person started (integrations.jobs)
    path("jobs/<int:pk>/", views.job, name="job"),
    *connect_urls.urlpatterns,
    *sourcing_urls.urlpatterns,
    *insights_urls.urlpatterns,
    *service_status_urls.urlpatterns,
]
