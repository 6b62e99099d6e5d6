"""docs/architecture.md is a map of the code: every name and path it mentions exists, its
registries, queues and models are the code's, and its checklists name every file the code
makes a new endpoint or poller need."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
import shlex
from pathlib import Path
from types import ModuleType

from celery import Task
from django.apps import apps
from django.db import models

import integrations.models
from aspire_tiktok.celery import PERIODIC, app
from integrations import jobs
from integrations.polling import POLLERS, queue_of
from integrations.tiktok import BusinessClient
from tests.contract import calls, endpoints, test_sandbox
from tests.contract import test_client as contract
from tests.contract.calls import CALLS
from tests.contract.endpoints import ENDPOINTS

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "architecture.md").read_text()
PRODUCT_APPS = ("aspire_tiktok", "integrations", "creators", "sparkads")
# The sandbox's modules need its own settings; the doc names them by path.
PACKAGES = (*PRODUCT_APPS, "tests")
TOP_LEVEL = {entry.name for entry in ROOT.iterdir() if not entry.name.startswith(".")}
FILE_SUFFIXES = (".py", ".html", ".md", ".js", ".css", ".txt", ".toml")

MENTIONS = re.findall(r"`([^`\n]+)`", DOC)


def section(title: str) -> str:
    """The doc's text under a heading, up to the next heading of the same or a higher level."""
    heading = re.search(rf"^(#+) {re.escape(title)}$", DOC, re.M)
    assert heading, f"docs/architecture.md has no section {title!r}"
    body = DOC[heading.end() :]
    end = re.search(rf"^#{{1,{len(heading.group(1))}}} ", body, re.M)
    return body[: end.start()] if end else body


def mentions(text: str) -> set[str]:
    return set(re.findall(r"`([^`\n]+)`", text))


def is_repo_path(mention: str) -> bool:
    if " " in mention or mention.startswith("/") or "/" not in mention:
        return False
    return mention.split("/", 1)[0] in TOP_LEVEL or mention.endswith(FILE_SUFFIXES)


def is_dotted_name(mention: str) -> bool:
    return re.fullmatch(r"[a-z_]+(\.[A-Za-z_]\w*)+", mention) is not None and mention.split(".")[0] in PACKAGES


def resolve(dotted: str) -> object:
    """The module or attribute a dotted name stands for (the longest importable module, then
    attributes); raises if it does not exist."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for name in parts[cut:]:
            target = getattr(target, name)
        return target
    raise ModuleNotFoundError(dotted)


def path_exists(mention: str) -> bool:
    # `<family>` and the like stand for any name: at least one file must fit.
    pattern = re.sub(r"<[^>]+>", "*", mention.rstrip("/"))
    return any(ROOT.glob(pattern)) if "*" in pattern else (ROOT / pattern).exists()


def relative(module: ModuleType) -> str:
    return Path(inspect.getfile(module)).resolve().relative_to(ROOT).as_posix()


def project_tasks() -> dict[str, Task]:
    return {name: task for name, task in app.tasks.items() if name.split(".")[0] in PRODUCT_APPS}


def procfile_queues() -> set[str]:
    worker = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("worker:"))
    args = shlex.split(worker.removeprefix("worker:"))
    return set(args[args.index("-Q") + 1].split(","))


def queues_table() -> dict[str, set[str]]:
    """The Queues table: each queue's row, as the backticked names in its tasks cell."""
    rows = {}
    for line in section("Queues").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = mentions(cells[1])
    return rows


def client_families() -> dict[str, ModuleType]:
    """The client's family modules, by name: the modules of BusinessClient's endpoint mixins."""
    families = {}
    for cls in BusinessClient.__mro__[1:]:
        module = inspect.getmodule(cls)
        if module and module.__name__.startswith("integrations.tiktok.") and cls.__name__.endswith("Mixin"):
            families[module.__name__.rsplit(".", 1)[1]] = module
    return families


def sandbox_routes() -> dict[str, str]:
    """Each path the sandbox's API serves, with the handler module registering it, read from the
    source (`endpoint(path, method)` as a decorator or called): its models need its own settings."""
    routes = {}
    for module in (ROOT / "tiktok_sandbox" / "api").glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "endpoint":
                routes[ast.literal_eval(node.args[0])] = module.stem
    return routes


# --- every name and path in the doc exists ------------------------------------------------


def test_every_dotted_name_in_the_doc_exists() -> None:
    missing = []
    for name in sorted(filter(is_dotted_name, MENTIONS)):
        try:
            resolve(name)
        except (ImportError, AttributeError):
            missing.append(name)
    assert missing == []


def test_every_repo_path_in_the_doc_exists() -> None:
    assert sorted(m for m in set(MENTIONS) if is_repo_path(m) and not path_exists(m)) == []


def test_the_doc_names_dotted_names_and_paths_at_all() -> None:
    # The two checks above pass vacuously if the extraction stops matching.
    assert len([m for m in MENTIONS if is_dotted_name(m)]) > 30
    assert len([m for m in MENTIONS if is_repo_path(m)]) > 50


# --- the map holds every model, registry, family and queue --------------------------------


def test_every_model_of_the_three_apps_is_in_the_models_table() -> None:
    table = mentions(section("The models"))
    shared = [
        importlib.import_module(f"integrations.models.{info.name}")
        for info in pkgutil.iter_modules(integrations.models.__path__)
    ]
    named = set()
    for module in (*shared, importlib.import_module("creators.models"), importlib.import_module("sparkads.models")):
        assert relative(module) in table, relative(module)
        named |= {
            name
            for name, cls in vars(module).items()
            if inspect.isclass(cls) and issubclass(cls, models.Model) and cls.__module__ == module.__name__
        }
    assert "PendingWrite" in named  # abstract models count too
    assert {
        model.__name__
        for label in ("integrations", "creators", "sparkads")
        for model in apps.get_app_config(label).get_models()
    } <= named
    assert sorted(named - table) == []


def test_every_registered_poller_and_job_kind_is_in_the_registries_section() -> None:
    registries = mentions(section("The registries"))
    assert sorted(set(POLLERS) - registries) == []
    assert sorted(set(jobs.KINDS) - registries) == []
    assert {f"{k.runner.__module__}.{k.runner.__name__}" for k in jobs.KINDS.values()} <= registries
    assert {entry["task"] for entry in PERIODIC.values()} <= registries


def test_every_client_family_and_its_sandbox_module_are_in_the_doc() -> None:
    for family, module in client_families().items():
        assert relative(module) in mentions(section("integrations/tiktok: the one client")), family
        assert f"tiktok_sandbox/api/{family}.py" in mentions(section("The sandbox")), family
    assert {p.stem for p in (ROOT / "tiktok_sandbox" / "api").glob("*.py")} - {"__init__"} == set(client_families())


def test_the_queues_table_is_the_procfile_workers_queues() -> None:
    assert set(queues_table()) == procfile_queues()


def test_each_poller_is_in_the_row_of_its_queue_and_each_task_named_there_runs_on_it() -> None:
    table = queues_table()
    for key, poller in POLLERS.items():
        assert [queue for queue, names in table.items() if key in names] == [poller.queue], key
    tasks = project_tasks()
    for queue, names in table.items():
        for name in filter(is_dotted_name, names):
            assert name in tasks, name
            assert queue_of(tasks[name]) == queue, name


def test_every_task_is_a_pollers_the_job_runner_a_periodic_one_or_named_in_the_queues_table() -> None:
    accounted = {jobs.run_job.name} | {entry["task"] for entry in PERIODIC.values()}
    for poller in POLLERS.values():
        accounted |= {poller.dispatcher.name, *poller.task_names}
    for names in queues_table().values():
        accounted |= names
    assert sorted(set(project_tasks()) - accounted) == []


# --- the checklists name what the code needs ----------------------------------------------


def test_every_public_client_method_has_a_contract_call_and_schema_and_a_sandbox_handler_in_its_family() -> None:
    assert contract._client_methods() == {call.method for call in CALLS.values()}
    assert set(CALLS) == set(ENDPOINTS)
    routes = sandbox_routes()
    wrong = {
        path: (family, routes.get(path))
        for path, call in CALLS.items()
        if routes.get(path) != (family := getattr(BusinessClient, call.method).__module__.rsplit(".", 1)[1])
    }
    assert wrong == {}


def test_the_endpoint_checklist_names_every_file_a_new_endpoint_touches() -> None:
    needed = {
        "integrations/tiktok/<family>.py",  # the client families, one module each
        "tests/client/test_<family>.py",
        relative(endpoints),
        relative(calls),
        relative(contract),
        relative(test_sandbox),
        "tiktok_sandbox/api/<family>.py",
        "tiktok_sandbox/models.py",
        "tiktok_sandbox/migrations/",
        "tiktok_sandbox/seed.py",
        "docs/sandbox.md",
        "integrations/tenancy.py",
    }
    for family, module in client_families().items():
        assert relative(module) == f"integrations/tiktok/{family}.py"
        assert (ROOT / "tests" / "client" / f"test_{family}.py").exists(), family
        assert (ROOT / "tiktok_sandbox" / "api" / f"{family}.py").exists(), family
    assert sorted(needed - mentions(section("Adding a TikTok endpoint"))) == []


def test_every_poller_has_its_tasks_on_a_consumed_queue_and_an_index_on_its_due_field() -> None:
    consumed = procfile_queues()
    tasks = project_tasks()
    for key, poller in POLLERS.items():
        for task in (poller.dispatcher, *poller.workers):
            assert task.name in tasks, f"{key}: {task.name} is not a registered task"
            assert queue_of(task) in consumed, f"{key}: {task.name} on {queue_of(task)!r}, which no worker consumes"
        model = poller.rows().model
        indexed = [index for index in model._meta.indexes if index.fields[:1] == [poller.due_field]]
        assert indexed, f"{key}: no index on {model.__name__}.{poller.due_field}"
        assert all(index.condition is not None for index in indexed), f"{key}: the due index should be partial"


def test_the_poller_checklist_names_every_place_a_new_poller_touches() -> None:
    steps = mentions(section("Adding a poller"))
    app_configs = {
        relative(importlib.import_module(f"{label}.apps")) for label in ("integrations", "creators", "sparkads")
    }
    assert sorted(app_configs - steps) == []
    assert {"Procfile", "next_poll_at", "integrations.polling.register", "integrations.polling.claim_due"} <= steps
    assert {"integrations.polling.enqueue_on_commit", "integrations.polling.take"} <= steps
    assert any(m.endswith("/migrations/") for m in steps)
    assert any(m.startswith("tests/") for m in steps)
