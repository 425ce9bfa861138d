"""The periodic jobs that `manage.py periodic` runs: each app declares its own in its
AppConfig (`periodic_jobs()`, a list of `Job`), so that this layer names no domain app."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.apps import apps


@dataclass(frozen=True)
class Job:
    """One job: its name, and what runs it and says in a line what it did."""

    name: str
    run: Callable[[], str]


def periodic_jobs() -> Iterator[Job]:
    """Every app's jobs, in the order of INSTALLED_APPS."""
    for config in apps.get_app_configs():
        declare = getattr(config, "periodic_jobs", None)
        if declare is not None:
            yield from declare()
