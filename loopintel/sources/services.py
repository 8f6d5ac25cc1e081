"""Which paths of the repository each service runs: the map incidents' services link by.

Written as a TOML table of service name to path globs, either in the repository's
``pyproject.toml`` at the indexed head::

    [tool.loopintel.services]
    api = ["src/app/api/**", "src/app/models.py"]
    billing = "src/billing/**"

or in a file of its own given by the user (the same table, as ``[services]`` or
``[tool.loopintel.services]`` in TOML, or a JSON object of the same shape). Globs are
matched against ``/``-separated repository paths: ``*`` within one path component,
``**`` across any number of them, ``?`` one character. Service names match without case.
"""

from __future__ import annotations

import json
import re
import tomllib
from functools import cache
from typing import TYPE_CHECKING, Any

import attrs

from loopintel.errors import InvalidConfiguration

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = ["ServiceMap", "glob_pattern", "read_service_map", "services_from_pyproject"]


@cache
def glob_pattern(glob: str) -> re.Pattern[str]:
    """The regex of a path glob (``**`` spans directories, ``*`` does not)."""
    out: list[str] = []
    i = 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(glob[i]))
            i += 1
    # A glob naming a directory covers what is under it.
    return re.compile("".join(out) + "(?:/.*)?")


@attrs.frozen
class ServiceMap:
    """Service names and the path globs each one runs."""

    services: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)
    """Globs per service, as written."""
    source: str = ""
    """Where the map was read from (for messages)."""

    def globs(self, service: str) -> tuple[str, ...]:
        """The globs of a service (matched without case); ``()`` when it is not mapped."""
        wanted = service.casefold()
        return next((g for name, g in self.services.items() if name.casefold() == wanted), ())

    def covers(self, service: str, path: str) -> str | None:
        """The first glob of ``service`` that matches ``path``, if any."""
        return next((g for g in self.globs(service) if glob_pattern(g).fullmatch(path)), None)

    def paths(self, services: Iterable[str], paths: Iterable[str]) -> dict[str, tuple[str, str]]:
        """Those of ``paths`` that the services run, with the service and glob that matched.

        When several match a path, the first service named and its first glob are given.
        """
        patterns = [
            (service, g, glob_pattern(g)) for service in services for g in self.globs(service)
        ]
        found: dict[str, tuple[str, str]] = {}
        if not patterns:
            return found
        for path in paths:
            match = next(((s, g) for s, g, p in patterns if p.fullmatch(path)), None)
            if match is not None:
                found[path] = match
        return found


def _table(value: Any, where: str) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        raise InvalidConfiguration(where, f"services = {value!r} is not a table of name = globs")
    services: dict[str, tuple[str, ...]] = {}
    for name, globs in value.items():
        items = [globs] if isinstance(globs, str) else globs
        if not isinstance(items, list) or not all(isinstance(g, str) and g for g in items):
            raise InvalidConfiguration(
                where, f"services.{name} = {globs!r} is not a path glob or a list of them"
            )
        services[str(name)] = tuple(items)
    return services


def services_from_pyproject(data: bytes, where: str = "pyproject.toml") -> ServiceMap:
    """``[tool.loopintel.services]`` of a ``pyproject.toml``; empty when absent.

    Raises:
        InvalidConfiguration: the file is no TOML, or the table is malformed.

    """
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InvalidConfiguration(where, f"not TOML: {exc}") from exc
    value = document.get("tool", {}).get("loopintel", {}).get("services")
    return ServiceMap(_table(value, where) if value is not None else {}, where)


def read_service_map(path: str) -> ServiceMap:
    """A service map in a file of its own.

    TOML (``[services]`` or ``[tool.loopintel.services]``) or a JSON object.

    Raises:
        InvalidConfiguration: the file cannot be read or holds no such map.

    """
    try:
        with open(path, "rb") as handle:  # noqa: PTH123 - a path given by the user
            data = handle.read()
    except OSError as exc:
        raise InvalidConfiguration(path, exc.strerror or str(exc)) from exc
    if data.lstrip()[:1] == b"{":
        try:
            value = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InvalidConfiguration(path, f"not JSON: {exc}") from exc
        return ServiceMap(_table(value.get("services", value), path), path)
    mapped = services_from_pyproject(data, path)
    if mapped.services:
        return mapped
    document = tomllib.loads(data.decode("utf-8"))
    if "services" not in document:
        raise InvalidConfiguration(path, "no [services] or [tool.loopintel.services] table")
    return ServiceMap(_table(document["services"], path), path)
