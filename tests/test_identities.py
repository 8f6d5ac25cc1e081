"""Duplicate identities: suggested with their evidence, never merged until .mailmap says so."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import loopintel
from loopintel.analysis.identities import email_user, identity_matches, name_key
from tests.cli_runner import run_cli

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import RepoBuilder

ADA = ("Ada Lovelace", "ada@work.example")
ADA_HOME = ("ada lovelace", "ada.l@home.example")
ADA_GITHUB = ("Ada L.", "4242+adal@users.noreply.github.com")
ADAL = ("A. Lovelace", "adal@old.example")
JOSE = ("José Díaz", "jose@example.org")
JOSE_2 = ("Jose  Diaz", "jdiaz@example.net")
BOB = ("Bob", "bob@example.com")
BOB_2 = ("Bob", "robert@elsewhere.example")  # a one-word name of three letters: too plain
BOT = ("dependabot[bot]", "support@github.com")
BOT_2 = ("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com")


def build(builder: RepoBuilder) -> None:
    people = [ADA, ADA, ADA, ADA_HOME, ADA_GITHUB, ADAL, JOSE, JOSE, JOSE_2, BOB, BOB_2, BOT, BOT_2]
    for n, person in enumerate(people):
        builder.commit({"m.py": f"def f():\n    return {n}\n"}, f"change {n}", author=person)


def activity(name: str, email: str, commits: int, year: int) -> loopintel.AuthorActivity:
    when = datetime(year, 1, 1, tzinfo=UTC)
    return loopintel.AuthorActivity(
        name=name, email=email, commits=commits, first_commit=when, last_commit=when,
        identities=(f"{name} <{email}>",),
    )  # fmt: skip


def test_names_and_email_users_as_compared() -> None:
    assert name_key("José  Díaz") == name_key("jose diaz") == "jose diaz"
    assert name_key("Bob") is None  # one short word
    assert name_key("root") is None
    assert name_key("dependabot[bot]") is None
    assert email_user("12345+Ada@users.noreply.github.com") == "ada"
    assert email_user("ada@users.noreply.github.com") == "ada"
    assert email_user("info@example.com") is None
    assert email_user("me@example.com") is None


def test_the_identity_with_most_commits_is_kept_and_others_join_it() -> None:
    authors = [
        activity("Ada Lovelace", "ada@work.example", 30, 2020),
        activity("ada lovelace", "ada.l@home.example", 2, 2018),
        activity("A. Lovelace", "ada@old.example", 1, 2010),  # same user as the first
        activity("Grace Hopper", "grace@example.com", 50, 2020),
    ]
    matches = identity_matches(authors)
    assert [(m.keep.email, m.other.email, m.rule) for m in matches] == [
        ("ada@work.example", "ada.l@home.example", "same-name"),
        ("ada@work.example", "ada@old.example", "same-email-user"),
    ]
    first = matches[0]
    assert "both named 'ada lovelace'" in first.evidence
    assert "30 commits (2020)" in first.evidence
    assert first.overlapping is False
    assert first.mailmap_lines == ("Ada Lovelace <ada@work.example> <ada.l@home.example>",)


def test_suggested_lines_join_the_identities_once_added_to_mailmap(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    build(repo_builder)
    index = tmp_path / "i.sqlite3"
    repo = loopintel.open(repo_builder.path, index_path=index)
    emails = {a.email for a in repo.authors()}
    assert ADA_HOME[1] in emails  # nothing is merged by itself
    matches = repo.suggest_mailmap()
    pairs = {(m.keep.email, m.other.email): m.rule for m in matches}
    assert pairs == {
        (ADA[1], ADA_HOME[1]): "same-name",
        (JOSE[1], JOSE_2[1]): "same-name",
        # The GitHub login "adal" is the user of another address: one commit each, the
        # later one kept. Neither name is Ada's, so they are not linked to her.
        (ADAL[1], ADA_GITHUB[1]): "same-email-user",
    }
    lines = [line for m in matches for line in m.mailmap_lines]
    repo.close()
    repo_builder.commit({".mailmap": "\n".join(lines) + "\n"}, "Join identities", author=ADA)
    with loopintel.open(repo_builder.path, index_path=index) as joined:
        by_email = {a.email: a for a in joined.authors()}
        assert ADA_HOME[1] not in by_email
        assert JOSE_2[1] not in by_email
        assert ADA_GITHUB[1] not in by_email
        assert by_email[ADAL[1]].commits == 2
        assert by_email[ADA[1]].commits == 5  # four, and the commit of the .mailmap
        assert by_email[JOSE[1]].commits == 3
        assert len(by_email[JOSE[1]].identities) == 2  # as written, before .mailmap
        assert list(joined.suggest_mailmap()) == []


def test_the_command_lists_authors_and_suggestions(
    repo_builder: RepoBuilder, tmp_path: Path
) -> None:
    build(repo_builder)
    env = {"LOOPINTEL_INDEX": str(tmp_path / "cli.sqlite3")}
    path = str(repo_builder.path)
    listed = run_cli("authors", path, "--limit", "2", env=env).stdout.splitlines()
    assert listed[0].split()[0] == "3"
    assert ADA[1] in listed[0]
    assert listed[-1].startswith("... and ")
    rows = [
        json.loads(line) for line in run_cli("authors", path, "--json", env=env).stdout.splitlines()
    ]
    assert {row["email"] for row in rows} >= {ADA[1], JOSE[1], BOB[1], BOB_2[1]}
    text = run_cli("authors", path, "--suggest-mailmap", env=env).stdout
    assert f"Ada Lovelace <{ADA[1]}> <{ADA_HOME[1]}>" in text
    assert "# same-name: both named 'jose diaz'" in text
    assert "bob" not in text.lower()
    assert "dependabot" not in text
    suggested = [
        json.loads(line)
        for line in run_cli(
            "authors", path, "--suggest-mailmap", "--json", env=env
        ).stdout.splitlines()
    ]
    assert all(row["mailmap_lines"] for row in suggested)
