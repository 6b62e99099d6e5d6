"""The views of the app's plumbing: health for load balancers, and the progress of slow work
a person started (integrations.jobs). Each subject's pages live in its own package."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from . import jobs
from .http import HtmxHttpRequest
from .models import BackgroundJob
from .outage import database_answers, redis_answers
from .tenancy import get_brand_for_user


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and people: each dependency separately, and the site's state.

    "down" (503) only without the database: no page works. Without Redis pages still work
    (the cache reads as empty, queueing work answers 503 on its own), so the site is
    "degraded" with a 200: a load balancer that followed Redis would take the whole site out
    of rotation for an outage most pages survive."""
    checks = {"database": database_answers(), "redis": redis_answers(settings.REDIS_URL)}
    status = "ok" if all(checks.values()) else "degraded" if checks["database"] else "down"
    body = {"ok": status != "down", "status": status} | {name: "ok" if up else "down" for name, up in checks.items()}
    return JsonResponse(body, status=503 if status == "down" else 200)


@login_required
@require_GET
def job(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The progress fragment of a job the signed-in user started; its brand's members only."""
    found = get_object_or_404(BackgroundJob.objects.select_related("brand"), pk=pk, user=request.user)
    if found.brand is not None:
        get_brand_for_user(request.user, found.brand.slug)
    done = found.state == BackgroundJob.State.DONE
    ctx = {
        "job": found,
        "brand": found.brand,
        "results": found.result if done else None,
        "query": found.params.get("query", ""),
    }
    kind = jobs.KINDS[found.kind]
    response = render(request, kind.template, ctx)
    if request.htmx and done and kind.reload_when_done:
        response["HX-Refresh"] = "true"  # the whole page changed: show it as it is now
    return response
