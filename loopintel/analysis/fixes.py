"""Which commits fix bugs, by documented rules over their messages.

Where a repository has no incident data, bug-fix commits stand in for incidents
(*proxies*): a fix says some code was wrong. The rules, each reported by name:

``issue-ref``
    a closing reference to an issue: ``fix #12``, ``fixes gh-12``, ``closes #12``,
    ``resolved: owner/repo#12`` or an issue URL after such a verb (GitHub's closing
    keywords), or a Jira key after one (``fixes OPS-12``).
``trailer``
    a ``Fixes:`` or ``Closes:`` trailer line (``Fixes: 1a2b3c4d ("subject")``, the
    kernel's form, names the commit that introduced the bug: it becomes a cause link).
``keyword``
    a fix word as a whole word in the first line: ``fix``, ``fixes``, ``fixed``,
    ``fixing``, ``bug``, ``bugs``, ``bugfix``, ``hotfix``, ``regression``, ``crash``,
    ``crashes``. Whole words only: ``prefix``, ``fixture`` and ``debug`` are not fixes.
    A first line that is about tidying (``typo``, ``spelling``, ``docs``, ``comments``,
    ``whitespace``, ``formatting``, ``lint``, ``typing``, ``tests``, ``ci``...) is no fix
    by this rule alone: "Fix typo in the docs" is not a bug fix.
``revert``
    ``Revert "..."`` first lines and ``This reverts commit <sha>``: the reverted commit is
    a cause. A revert of a revert re-applies a change and is no fix.

``named-cause``
    the message names the commit that introduced its bug (``introduced in <sha>``,
    ``regression from <sha>``, ``broken by <sha>``, ``caused by <sha>``): a cause link.

Whether a fix changed any function is not decided here: a proxy that changed none has
no links.
"""

from __future__ import annotations

import re

import attrs

__all__ = ["FixSignal", "fix_signal"]

_HEX = r"[0-9a-f]{7,40}"

_CLOSING = re.compile(
    r"\b(?:fix(?:e[sd])?|close[sd]?|resolve[sd]?)\b:?\s+"
    r"(?P<ref>(?:[\w.-]+/[\w.-]+)?#\d+|gh-\d+|https?://\S+/(?:issues|pull)/\d+|[A-Z][A-Z0-9]+-\d+)",
    re.IGNORECASE,
)
_TRAILER = re.compile(
    r"^(?P<name>fixes|closes):[ \t]*(?P<value>\S.*)$", re.IGNORECASE | re.MULTILINE
)
_KEYWORD = re.compile(
    r"\b(?:fix|fixes|fixed|fixing|bug|bugs|bugfix|hotfix|regression|crash|crashes)\b",
    re.IGNORECASE,
)
_TIDYING = re.compile(
    r"\b(?:typos?|spelling|docs?|documentation|docstrings?|comments?|whitespace|formatting|"
    r"lint|typing|mypy|flake8|tests?|ci)\b",
    re.IGNORECASE,
)
_REVERT_SUMMARY = re.compile(r'^revert\b\s*"?', re.IGNORECASE)
_REVERTS = re.compile(rf"\bthis reverts commit (?P<sha>{_HEX})\b", re.IGNORECASE)
_NAMED_CAUSE = re.compile(
    rf"\b(?:introduced|added|caused|broken|broke|regressed)\s+(?:in|by|with)\s+"
    rf"(?:commit\s+)?(?P<sha>{_HEX})\b"
    rf"|\bregression\s+(?:from|since|in|of)\s+(?:commit\s+)?(?P<sha2>{_HEX})\b",
    re.IGNORECASE,
)


@attrs.frozen
class FixSignal:
    """Why a commit message reads as a bug fix, and what it names."""

    rules: tuple[str, ...]
    """The rules that matched, in the order of the module's list."""
    issues: tuple[str, ...] = ()
    """Issues it closes (``#12``, ``owner/repo#12``, URLs, ``OPS-12``)."""
    causes: tuple[str, ...] = ()
    """Commits it names as the cause: reverted, or named as where the bug came from
    (abbreviated as written)."""
    revert: bool = False
    """Whether it is a revert."""


def fix_signal(message: str) -> FixSignal | None:
    """The bug-fix rules a commit message matches (``None``: it reads as no fix)."""
    summary = message.split("\n", 1)[0]
    rules: list[str] = []
    issues: list[str] = [m["ref"] for m in _CLOSING.finditer(message)]
    causes: list[str] = []
    if issues:
        rules.append("issue-ref")
    trailers = list(_TRAILER.finditer(message))
    for trailer in trailers:
        value = trailer["value"].strip()
        sha = re.match(rf"({_HEX})\b", value)
        if sha and trailer["name"].lower() == "fixes":
            causes.append(sha.group(1))
        elif value not in issues:
            issues.append(value.split()[0])
    if trailers:
        rules.append("trailer")
    if _KEYWORD.search(summary) and not _TIDYING.search(summary):
        rules.append("keyword")
    reverted = [m["sha"] for m in _REVERTS.finditer(message)]
    revert = bool(_REVERT_SUMMARY.match(summary)) or bool(reverted)
    if revert:
        # Revert "Revert "x"" re-applies x: no fix.
        if re.match(r'^revert\s+"revert\b', summary, re.IGNORECASE):
            return None
        rules.append("revert")
        causes.extend(reverted)
    named = [found["sha"] or found["sha2"] for found in _NAMED_CAUSE.finditer(message)]
    if named:
        rules.append("named-cause")
        causes.extend(named)
    if not rules:
        return None
    return FixSignal(
        rules=tuple(rules),
        issues=tuple(dict.fromkeys(issues)),
        causes=tuple(dict.fromkeys(c.lower() for c in causes)),
        revert=revert,
    )
