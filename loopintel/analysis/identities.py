"""Authors who may be one person under two identities that ``.mailmap`` does not join.

Two rules, each cheap and explainable:

- **same name**: names equal once case, accents, punctuation between words and
  spacing are ignored (``José  Díaz`` and ``jose diaz``), names of one word of fewer
  than four letters and machine names (``root``, ``unknown``, bots) left out;
- **same email user**: the part before ``@`` equal (``ada@work.example`` and
  ``ada@home.example``), a GitHub ``noreply`` address read as its login
  (``12345+ada@users.noreply.github.com`` is ``ada``), generic users (``info``,
  ``admin``, ``git``...) and ones shorter than three characters left out.

Pure: author activities in, matches out, strongest evidence first.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

from loopintel.model import IdentityMatch

if TYPE_CHECKING:
    from collections.abc import Sequence

    from loopintel.model import AuthorActivity

__all__ = ["email_user", "identity_matches", "name_key"]

_GENERIC_USERS = frozenset(
    {
        "admin", "code", "contact", "dev", "developer", "email", "foss", "git", "github",
        "hello", "hi", "info", "mail", "me", "no-reply", "noreply", "opensource", "oss",
        "private", "public", "root", "support", "team", "test", "user", "users",
        "webmaster", "work",
    }
)  # fmt: skip
_MACHINE_NAMES = frozenset(
    {"root", "unknown", "user", "admin", "github", "git", "none", "nobody", "localhost"}
)
_NOREPLY = re.compile(r"^(?:\d+\+)?(?P<login>[^@]+)@users\.noreply\.github\.com$")
_WORDS = re.compile(r"[^\w]+")


def name_key(name: str) -> str | None:
    """A name as compared: no case, accents or punctuation; ``None`` if too plain."""
    folded = unicodedata.normalize("NFKD", name)
    folded = "".join(c for c in folded if not unicodedata.combining(c)).casefold()
    words = [w for w in _WORDS.split(folded) if w]
    key = " ".join(words)
    if not words or key in _MACHINE_NAMES or "bot" in words or key.endswith("[bot]"):
        return None
    if len(words) == 1 and len(words[0]) < 4:
        return None
    return key


def email_user(email: str) -> str | None:
    """The user part of an email as compared; ``None`` if generic or too short."""
    address = email.strip().lower()
    noreply = _NOREPLY.match(address)
    user = noreply["login"] if noreply else address.partition("@")[0]
    if "[bot]" in user or user.endswith("-bot"):
        return None
    if len(user) < 3 or user in _GENERIC_USERS:
        return None
    return user


def _years(activity: AuthorActivity) -> str:
    first, last = activity.first_commit.year, activity.last_commit.year
    return str(first) if first == last else f"{first}-{last}"


def identity_matches(authors: Sequence[AuthorActivity]) -> list[IdentityMatch]:
    """Authors that look like one person, as matches onto the identity to keep.

    Authors linked by either rule, directly or through others (three spellings of one
    name), form one group; the member with the most commits is kept and every other
    member is matched onto it, with the rule that linked it (``same-name`` first when
    both do). Groups with the most commits come first.
    """
    edges: dict[str, dict[str, tuple[str, str]]] = {}
    for rule in ("same-name", "same-email-user"):
        groups: dict[str, list[AuthorActivity]] = {}
        for author in authors:
            key = name_key(author.name) if rule == "same-name" else email_user(author.email)
            if key is not None:
                groups.setdefault(key, []).append(author)
        for key, group in groups.items():
            for one in group:
                for other in group:
                    if one.email != other.email:
                        edges.setdefault(one.email, {}).setdefault(other.email, (rule, key))
    by_email = {a.email: a for a in authors}
    placed: set[str] = set()
    out: list[tuple[int, list[IdentityMatch]]] = []
    strongest = sorted(authors, key=lambda a: (-a.commits, -a.last_commit.timestamp(), a.email))
    for keep in strongest:
        if keep.email in placed or keep.email not in edges:
            continue
        placed.add(keep.email)
        found: list[IdentityMatch] = []
        queue = [keep.email]
        while queue:
            current = queue.pop(0)
            for email, linked in sorted(edges.get(current, {}).items()):
                if email in placed:
                    continue
                placed.add(email)
                queue.append(email)
                rule, key = edges[keep.email].get(email, linked)
                found.append(_match(keep, by_email[email], rule, key))
        out.append((keep.commits + sum(m.other.commits for m in found), found))
    out.sort(key=lambda group: -group[0])
    return [match for _, group in out for match in group]


def _match(keep: AuthorActivity, other: AuthorActivity, rule: str, key: str) -> IdentityMatch:
    overlapping = keep.first_commit <= other.last_commit and other.first_commit <= keep.last_commit
    said = "both named" if rule == "same-name" else "both use the email user"
    evidence = (
        f"{said} {key!r}; {keep.email}: {keep.commits} commit"
        f"{'s' if keep.commits != 1 else ''} ({_years(keep)}), {other.email}: "
        f"{other.commits} commit{'s' if other.commits != 1 else ''} ({_years(other)})"
        + ("; active in the same period" if overlapping else "")
    )
    return IdentityMatch(keep, other, rule, evidence, overlapping)
