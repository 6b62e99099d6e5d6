"""A small schema language for TikTok's requests and answers, and its validator.

A schema is a tree of `Spec`s: scalars (`Str`, `Int`, `Num`, `Bool`, `Id`, `Time`, `IsoTime`,
`Metric`, `Figure`),
`Enum` (TikTok's documented values), `Obj` (named fields, each required or optional, each
nullable or not; unknown fields are an error: nothing invented passes) and `List`.

`validate(spec, value)` returns a list of problems ("" path = the root); an empty list means
valid. Enums are strict by default, so the sandbox cannot send a value TikTok never
documented; `tolerant=True` accepts any string for an enum, which is what TikTok's own
answers may carry (TikTok adds values) and what the client must survive.

`query=True` validates a GET request's query string: every value arrives as a string,
arrays and objects JSON-encoded (TikTok's convention for API for Business GETs).

`edge_answers(spec)` builds answers that are valid for TikTok but hard for a client: every
optional field null or absent, unknown enum values, 19-digit ids as strings, "" and "-" for
strings and metrics, empty lists (and lists of one such item). A `Str(blank=False)` is an
optional text TikTok leaves out when it has none (Go `omitempty`), so "" is refused there and
never sampled; a `Num` is a figure the Go model types as a number, so "-" is refused there.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

UNKNOWN_ENUM = "SOME_VALUE_TIKTOK_ADDED_LATER"
EDGE_ID = "7493016258301475849"  # 19 digits: above 2**53, so a float would round it
EDGY = ("edge", "deep")  # "edge": lists empty; "deep": one item, itself edgy
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


class Spec:
    def check(self, value: Any, path: str, opts: dict) -> list[str]:
        raise NotImplementedError

    def sample(self, mode: str) -> Any:
        raise NotImplementedError


@dataclass(frozen=True)
class Str(Spec):
    blank: bool = True  # False: TikTok leaves the field out rather than send ""

    def check(self, value, path, opts):
        if not isinstance(value, str):
            return [f"{path}: expected a string, got {value!r}"]
        if value == "" and not self.blank:
            return [f'{path}: "" where TikTok leaves the field out']
        return []

    def sample(self, mode):
        return "" if mode in EDGY and self.blank else "text"


@dataclass(frozen=True)
class Id(Spec):
    """TikTok's ids: strings of digits (never numbers: 19 digits do not survive a float)."""

    def check(self, value, path, opts):
        if isinstance(value, str) and value.isdigit():
            return []
        return [f"{path}: expected a numeric id as a string, got {value!r}"]

    def sample(self, mode):
        return EDGE_ID


@dataclass(frozen=True)
class Int(Spec):
    low: int | None = None
    high: int | None = None

    def check(self, value, path, opts):
        if opts.get("query") and isinstance(value, str) and value.lstrip("-").isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            return [f"{path}: expected an integer, got {value!r}"]
        if (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
            return [f"{path}: {value} is outside {self.low}..{self.high}"]
        return []

    def sample(self, mode):
        return self.low if self.low is not None else 0


@dataclass(frozen=True)
class Num(Spec):
    def check(self, value, path, opts):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return [f"{path}: expected a number, got {value!r}"]
        return []

    def sample(self, mode):
        return 0.5


@dataclass(frozen=True)
class Metric(Spec):
    """A report figure: a number, or "-" where TikTok has no data for it."""

    def check(self, value, path, opts):
        if value == "-" or (isinstance(value, (int, float)) and not isinstance(value, bool)):
            return []
        return [f'{path}: expected a number or "-", got {value!r}']

    def sample(self, mode):
        return "-" if mode in EDGY else 12


@dataclass(frozen=True)
class Figure(Spec):
    """An API for Business report figure: a number, the number as a string (the SDK's
    model.Float64 / model.Int64 read both, quoted or not), or "-" where TikTok has no data."""

    def check(self, value, path, opts):
        if value == "-" or (isinstance(value, (int, float)) and not isinstance(value, bool)):
            return []
        if isinstance(value, str) and _NUMBER.match(value):
            return []
        return [f'{path}: expected a number, a numeric string or "-", got {value!r}']

    def sample(self, mode):
        return "-" if mode in EDGY else "12.34"


@dataclass(frozen=True)
class Bool(Spec):
    def check(self, value, path, opts):
        if opts.get("query") and value in ("true", "false"):
            return []
        return [] if isinstance(value, bool) else [f"{path}: expected true/false, got {value!r}"]

    def sample(self, mode):
        return False


@dataclass(frozen=True)
class Time(Spec):
    """TikTok's UTC "YYYY-MM-DD HH:MM:SS" (or a bare date). Never "": absent or null instead."""

    def check(self, value, path, opts):
        if isinstance(value, str) and _TIME.match(value):
            return []
        return [f'{path}: expected "YYYY-MM-DD HH:MM:SS", got {value!r}']

    def sample(self, mode):
        return "2026-03-01 08:30:00"


@dataclass(frozen=True)
class IsoTime(Spec):
    """An ISO 8601 moment with its offset, as TikTok's webhooks give event times
    ("2024-11-18T21:57:00.070272Z", Go SDK model/subscription/webhook/tto_tcm.go)."""

    def check(self, value, path, opts):
        if isinstance(value, str) and "T" in value:
            try:
                if datetime.fromisoformat(value).tzinfo is not None:
                    return []
            except ValueError:
                pass
        return [f'{path}: expected an ISO 8601 time such as "2024-11-18T21:57:00.070272Z", got {value!r}']

    def sample(self, mode):
        return "2024-11-18T21:57:00.070272Z" if mode in EDGY else "2026-03-01T08:30:00Z"


@dataclass(frozen=True)
class Enum(Spec):
    values: tuple[str, ...]

    def __init__(self, *values: str) -> None:
        object.__setattr__(self, "values", values)

    def check(self, value, path, opts):
        if not isinstance(value, str):
            return [f"{path}: expected one of {self.values}, got {value!r}"]
        if value in self.values or opts.get("tolerant"):
            return []
        return [f"{path}: {value!r} is not one of TikTok's values {self.values}"]

    def sample(self, mode):
        return UNKNOWN_ENUM if mode in EDGY else self.values[0]


@dataclass(frozen=True)
class List(Spec):
    item: Spec
    max_items: int | None = None
    min_items: int = 0

    def check(self, value, path, opts):
        if opts.get("query") and isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                return [f"{path}: expected a JSON-encoded array, got {value!r}"]
            opts = opts | {"query": False}
        if not isinstance(value, list):
            return [f"{path}: expected a list, got {value!r}"]
        problems = []
        if len(value) < self.min_items:
            problems.append(f"{path}: needs at least {self.min_items} item(s)")
        if self.max_items is not None and len(value) > self.max_items:
            problems.append(f"{path}: at most {self.max_items} items, got {len(value)}")
        for i, item in enumerate(value):
            problems += self.item.check(item, f"{path}[{i}]", opts)
        return problems

    def sample(self, mode):
        return [] if mode == "edge" else [self.item.sample(mode)]  # "deep": one edgy item


@dataclass(frozen=True)
class Field:
    spec: Spec
    required: bool = False
    nullable: bool = False


def req(spec: Spec, *, nullable: bool = False) -> Field:
    return Field(spec, required=True, nullable=nullable)


def opt(spec: Spec, *, nullable: bool = True) -> Field:
    return Field(spec, required=False, nullable=nullable)


@dataclass(frozen=True)
class Obj(Spec):
    fields: dict[str, Field] = field(default_factory=dict)
    # Maps with free keys (e.g. handle -> reason): every value must match `values`.
    values: Spec | None = None

    def check(self, value, path, opts):
        if opts.get("query") and isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                return [f"{path}: expected a JSON-encoded object, got {value!r}"]
            opts = opts | {"query": False}
        if not isinstance(value, dict):
            return [f"{path}: expected an object, got {value!r}"]
        if self.values is not None:
            return [p for k, v in value.items() for p in self.values.check(v, f"{path}.{k}", opts)]
        problems = []
        for name in value.keys() - self.fields.keys():
            problems.append(f"{f'{path}.' if path else ''}{name}: not a field TikTok documents here")
        for name, f in self.fields.items():
            where = f"{path}.{name}" if path else name
            if name not in value:
                if f.required:
                    problems.append(f"{where}: required, missing")
                continue
            if value[name] is None:
                if not f.nullable:
                    problems.append(f"{where}: must not be null")
                continue
            problems += f.spec.check(value[name], where, opts)
        return problems

    def sample(self, mode):
        if self.values is not None:
            return {} if mode == "edge" else {"key": self.values.sample(mode)}
        out = {}
        for name, f in self.fields.items():
            if mode == "minimal" and not f.required:
                continue
            if mode == "nulls" and not f.required:
                if f.nullable:
                    out[name] = None
                continue
            out[name] = f.spec.sample(mode)
        return out


def validate(spec: Spec, value: Any, *, tolerant: bool = False, query: bool = False) -> list[str]:
    return spec.check(value, "", {"tolerant": tolerant, "query": query})


def edge_answers(spec: Spec) -> dict[str, Any]:
    """Answers TikTok may send, named by what makes them hard."""
    return {mode: spec.sample(mode) for mode in ("minimal", "nulls", "edge", "deep", "full")}
