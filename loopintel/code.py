"""Function source read back from git, for answers that need the code itself (deprecation).

The index holds history, not code; this reads file versions back from git on demand and
keeps what it parsed per blob, so asking about every function of a file parses it once.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

from loopintel.analysis.deprecation import (
    ParsedModule,
    module_name,
    parse_module,
    prefixes_from_pyproject,
    valid_prefix,
)
from loopintel.errors import InvalidConfiguration, InvalidQuery, MissingObject

if TYPE_CHECKING:
    from collections.abc import Iterable

    from loopintel.history.git import GitRepository
    from loopintel.store import Store

__all__ = ["PYPROJECT", "SourceReader", "checked_prefixes"]

PYPROJECT = "pyproject.toml"
"""Where the repository's own settings live (at its root, at the indexed head)."""


def checked_prefixes(value: str | Iterable[str], argument: str) -> tuple[str, ...]:
    """Deprecated module prefixes as given by a caller: one name, or several.

    Raises:
        InvalidQuery: a prefix is not a dotted module name.

    """
    prefixes = (value,) if isinstance(value, str) else tuple(value)
    for prefix in prefixes:
        if not isinstance(prefix, str) or not valid_prefix(prefix):
            raise InvalidQuery(argument, prefix, "dotted module names such as 'myapp.legacy'")
    return prefixes


class SourceReader:
    """File versions of one repository, parsed for deprecation questions."""

    def __init__(
        self,
        git: GitRepository,
        store: Store,
        *,
        deprecated: tuple[str, ...] | None = None,
        cache_size: int = 512,
    ) -> None:
        self._git = git
        self._store = store
        self._deprecated = deprecated
        self._cache: OrderedDict[tuple[str, str], ParsedModule] = OrderedDict()
        self._cache_size = cache_size
        # (head, prefixes, why they are unknown: the settings' object is missing)
        self._settings: tuple[str | None, tuple[str, ...], str | None] | None = None

    def prefixes(self) -> tuple[str, ...]:
        """The repository's deprecated module prefixes.

        Those given to :func:`loopintel.open`, else ``[tool.loopintel] deprecated`` of
        the ``pyproject.toml`` at the indexed head (read once per head). None if that
        file's object is missing (a partial clone): then :meth:`module` says the
        answers are unknown.

        Raises:
            InvalidConfiguration: that setting is malformed.

        """
        if self._deprecated is not None:
            return self._deprecated
        return self._read_settings()[1]

    def _settings_unknown(self) -> str | None:
        """Why the configured prefixes are unknown (their object is missing), if they are.

        Malformed settings are not this: they are reported where prefixes are asked for.
        """
        try:
            return self._read_settings()[2]
        except InvalidConfiguration:
            return None

    def _read_settings(self) -> tuple[str | None, tuple[str, ...], str | None]:
        head = self._store.meta("head")
        if self._settings is None or self._settings[0] != head:
            blob = self._git.blob_at(head, PYPROJECT) if head else None
            unknown = None
            try:
                found = prefixes_from_pyproject(self._git.blob(blob)) if blob else ()
            except MissingObject as exc:
                found = ()
                unknown = (
                    f"missing object {exc.oid} ({PYPROJECT}, which may set deprecated "
                    "prefixes; or give them to loopintel.open(deprecated=...))"
                )
            except ValueError as exc:
                where = f"{PYPROJECT} at {head[:12] if head else 'the head'}"
                raise InvalidConfiguration(where, str(exc)) from exc
            self._settings = (head, found, unknown)
        return self._settings

    def module(self, commit: str, path: str) -> ParsedModule:
        """The file ``path`` as of ``commit``, parsed (a reason instead, if it cannot be).

        A version whose object is missing (a partial or damaged clone) has the reason
        ``missing object <sha>``; so has every version while the deprecated prefixes
        of ``pyproject.toml`` cannot be read for that reason (and none were given).
        """
        module = module_name(
            path, lambda d: self._git.blob_at(commit, f"{d}/__init__.py") is not None
        )
        is_package = path.rsplit("/", 1)[-1] == "__init__.py"
        package = module if is_package else module.rpartition(".")[0]
        blob = self._git.blob_at(commit, path)
        if blob is None:
            return ParsedModule(module, package, {}, {}, f"no file {path} at {commit[:12]}")
        unknown = self._settings_unknown() if self._deprecated is None else None
        if unknown is not None:
            return ParsedModule(module, package, {}, {}, unknown)
        key = (blob, module)
        parsed = self._cache.get(key)
        if parsed is None:
            try:
                data = self._git.blob(blob)
            except MissingObject as exc:
                return ParsedModule(module, package, {}, {}, f"missing object {exc.oid}")
            parsed = parse_module(data, module, is_package=is_package)
            self._cache[key] = parsed
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return parsed
