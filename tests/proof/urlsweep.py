"""Introspect the URLconf and fill every object a brand-scoped URL can name.

`brand_scoped_urls()` lists each named pattern of the platform with a ``slug`` kwarg (the
brand) or an object id; `populate_brand_world()` creates one row of every model of the
platform's apps for ``brand`` with the same primary key ``OBJ_PK`` and every remote-id-like
string set to ``REMOTE_ID``, so any int kwarg names a row of the brand whatever model the
view looks up, and any string id kwarg names its remote id. New models added by the apps are
covered without editing this file; the insider control test proves the rows are reachable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.apps import apps
from django.db import models
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter, PathConverter, SlugConverter, StringConverter, UUIDConverter
from django.utils import timezone

OBJ_PK = 424242
REMOTE_ID = "7999000000000000042"
APPS = ("integrations", "creators", "sparkads")
SKIP_NAMESPACES = {"admin", "djdt"}
# Rows the fixtures make already (memberships of alice, bob and charlie).
SKIP_MODELS = {"integrations.BrandMembership"}
# String kwargs that are not remote ids: the value a view accepts.
KWARG_VALUES = {"action": "check", "handle": "sweep.handle"}


@dataclass(frozen=True)
class UrlCase:
    name: str  # "namespace:name"
    route: str
    kwargs: tuple[tuple[str, str], ...]  # (kwarg, converter kind)
    callback: object

    @property
    def namespace(self) -> str:
        return self.name.split(":")[0] if ":" in self.name else ""

    @property
    def kwarg_names(self) -> set[str]:
        return {k for k, _ in self.kwargs}

    def __str__(self) -> str:
        return self.name


def _kind(converter) -> str:
    if isinstance(converter, IntConverter):
        return "int"
    if isinstance(converter, UUIDConverter):
        return "uuid"
    if isinstance(converter, SlugConverter):
        return "slug"
    if isinstance(converter, StringConverter | PathConverter):
        return "str"
    return "str"


def all_url_cases(resolver=None, namespaces=(), route="", converters=None) -> list[UrlCase]:
    resolver = resolver or get_resolver()
    converters = dict(converters or {})
    cases: list[UrlCase] = []
    for p in resolver.url_patterns:
        conv = {**converters, **getattr(p.pattern, "converters", {})}
        if isinstance(p, URLResolver):
            ns = (*namespaces, p.namespace) if p.namespace else namespaces
            if ns and ns[0] in SKIP_NAMESPACES:
                continue
            cases += all_url_cases(p, ns, route + str(p.pattern), conv)
        elif isinstance(p, URLPattern) and p.name:
            full_route = route + str(p.pattern)
            names = list(conv) + [g for g in p.pattern.regex.groupindex if g not in conv]
            kwargs = tuple((n, _kind(conv.get(n))) for n in names)
            cases.append(UrlCase(":".join((*namespaces, p.name)), full_route, kwargs, p.callback))
    return cases


def brand_scoped_urls() -> list[UrlCase]:
    """Patterns naming a brand (``slug``) or an object (an int or id kwarg) of the platform."""
    out = []
    for case in all_url_cases():
        if not case.kwargs:
            continue
        if case.namespace not in APPS and "slug" not in case.kwarg_names:
            continue
        out.append(case)
    return out


def url_kwargs(case: UrlCase, brand) -> dict[str, object]:
    values: dict[str, object] = {}
    for name, kind in case.kwargs:
        if name in {"slug", "brand_slug"}:
            values[name] = brand.slug
        elif name in KWARG_VALUES:
            values[name] = KWARG_VALUES[name]
        elif kind == "int":
            values[name] = OBJ_PK
        elif kind == "uuid":
            values[name] = "00000000-0000-0000-0000-000000424242"
        else:
            values[name] = REMOTE_ID
    return values


# --- one row of every model for the brand -------------------------------------------------


def _value_for(field: models.Field, model, ctx):
    if isinstance(field, models.ForeignKey | models.OneToOneField):
        target = field.related_model
        if target is ctx["user_model"]:
            return ctx["creator"] if (model._meta.app_label == "creators" or field.name == "owner") else ctx["owner"]
        if target is ctx["brand_model"]:
            return ctx["brand"]
        return ctx["made"].get(target)
    if field.has_default():
        default = field.get_default()
        if isinstance(field, models.CharField) and default == "" and not field.choices:
            return _string_for(field)
        return default
    if field.choices:
        return field.choices[0][0]
    if isinstance(field, models.DateTimeField):
        return None if field.null else timezone.now()
    if isinstance(field, models.DateField):
        return None if field.null else (timezone.now() - timedelta(days=1)).date()
    if field.null:
        return None
    if isinstance(field, models.BooleanField):
        return False
    if isinstance(field, models.DecimalField | models.FloatField | models.IntegerField):
        return 1
    if isinstance(field, models.EmailField):
        return "row@example.test"
    if isinstance(field, models.URLField):
        return "https://example.test/row"
    if isinstance(field, models.FileField):
        return ""
    if isinstance(field, models.JSONField):
        return {}
    if isinstance(field, models.CharField | models.TextField):
        return _string_for(field)
    return None


def _string_for(field) -> str:
    if isinstance(field, models.SlugField):
        return "row-slug"
    if isinstance(field, models.EmailField):
        return "row@example.test"
    if isinstance(field, models.URLField):
        return ""
    if type(field).__name__.startswith("Encrypted"):
        return ""
    if field.name in {"handle", "username", "tiktok_name", "user_name"}:
        return "sweep.handle"
    return REMOTE_ID[: field.max_length] if field.max_length else REMOTE_ID


def populate_brand_world(brand, owner, creator) -> dict:
    """One row per model of APPS, pk=OBJ_PK, tied to ``brand``; returns {model: row}."""
    from django.contrib.auth import get_user_model

    from integrations.models import Brand

    ctx = {"user_model": get_user_model(), "brand_model": Brand, "brand": brand, "owner": owner,
           "creator": creator, "made": {Brand: brand}}  # fmt: skip
    pending = [
        m for app in APPS for m in apps.get_app_config(app).get_models()
        if not m._meta.abstract and m is not Brand and m._meta.label not in SKIP_MODELS
    ]  # fmt: skip
    for model in list(pending):
        # Rows one per user (e.g. the creator's profile) may exist already: reuse them.
        one_per_user = [
            f for f in model._meta.concrete_fields
            if isinstance(f, models.OneToOneField) and f.related_model is ctx["user_model"]
        ]  # fmt: skip
        if one_per_user:
            row = model.objects.filter(**{one_per_user[0].name: creator}).first()
            if row is not None:
                ctx["made"][model] = row
                pending.remove(model)
    for _ in range(len(pending) + 1):
        progress = False
        for model in list(pending):
            fks = [
                f for f in model._meta.concrete_fields
                if isinstance(f, models.ForeignKey) and f.related_model not in (ctx["user_model"], Brand)
            ]  # fmt: skip
            if any(not f.null and f.related_model not in ctx["made"] for f in fks if f.related_model is not model):
                continue
            values = {}
            for field in model._meta.concrete_fields:
                if field.primary_key:
                    continue
                if isinstance(field, models.ForeignKey) and field.related_model is model:
                    continue
                value = _value_for(field, model, ctx)
                if value is not None or field.null:
                    values[field.attname if not isinstance(field, models.ForeignKey) else field.name] = value
            ctx["made"][model] = model.objects.create(pk=OBJ_PK, **values)
            pending.remove(model)
            progress = True
        if not pending or not progress:
            break
    if pending:
        raise RuntimeError(f"could not build rows for {pending}: a required foreign key cannot be met")
    return ctx["made"]
