"""The incidents commands: import with every problem reported, list, show, why, delete."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.cli_runner import run_cli

if TYPE_CHECKING:
    from tests.conftest import RepoBuilder

DATA = Path(__file__).parent / "data" / "incidents"

CHECKOUT = """\
def charge(order):
    return order.total


def refund(order):
    return -order.total
"""


@pytest.fixture
def where(repo_builder: RepoBuilder, tmp_path: Path) -> list[str]:
    """A repository with a service map for PagerDuty's checkout-web; its CLI arguments."""
    repo_builder.commit(
        {
            "shop/checkout.py": CHECKOUT,
            "shop/auth.py": "def login(user):\n    return user\n",
            "pyproject.toml": '[tool.loopintel.services]\n"checkout-web" = ["shop/checkout.py"]\n',
        }
    )
    return [str(repo_builder.path), "--index-path", str(tmp_path / "i.sqlite3")]


def test_a_file_with_bad_rows_imports_nothing_and_says_every_problem(where: list[str]) -> None:
    sample = str(DATA / "pagerduty-incidents.csv")
    refused = run_cli("incidents", "import", sample, *where, check=False)
    assert refused.exit_code == 1
    assert "line 4" in refused.stderr
    assert refused.stderr.count("\n") >= 2  # the summary, then one problem a line
    assert run_cli("incidents", "list", *where).stdout == ""


def test_import_skip_invalid_then_list_show_why_delete(where: list[str]) -> None:
    sample = str(DATA / "pagerduty-incidents.csv")
    done = run_cli("incidents", "import", sample, *where, "--skip-invalid", "--json")
    summary = json.loads(done.stdout)
    assert summary["format"] == "pagerduty-csv"
    assert "pagerduty:PT4KHLK" in summary["added"]
    assert summary["skipped"] >= 1
    assert summary["problems"]
    again = json.loads(
        run_cli("incidents", "import", sample, *where, "--skip-invalid", "--json").stdout
    )
    assert again["added"] == []
    assert sorted(again["updated"]) == sorted(summary["added"])
    listed = [
        json.loads(line)
        for line in run_cli("incidents", "list", *where, "--json").stdout.splitlines()
    ]
    assert {i["key"] for i in listed} == set(summary["added"])
    assert all("raw" not in i for i in listed)
    shown = json.loads(run_cli("incidents", "show", "PT4KHLK", *where, "--json").stdout)
    assert shown["services"] == ["checkout-web"]
    assert {(c["path"], c["qualname"]) for c in shown["code_links"]} == {
        ("shop/checkout.py", "charge"),
        ("shop/checkout.py", "refund"),
    }
    raw = run_cli("incidents", "show", "PT4KHLK", *where, "--raw").stdout
    assert "PT4KHLK" in json.loads(raw).values()
    why = run_cli("incidents", "why", "PT4KHLK", "charge", *where).stdout
    assert "service" in why
    assert "checkout-web" in why
    not_linked = run_cli("incidents", "why", "PT4KHLK", "login", *where, check=False)
    assert not_linked.exit_code == 1
    assert "not linked" in not_linked.stderr
    assert run_cli("incidents", "delete", "pagerduty:PT4KHLK", *where).stdout.startswith("deleted")
    gone = run_cli("incidents", "show", "PT4KHLK", *where, check=False)
    assert gone.exit_code == 1
    assert "PT4KHLK" in gone.stderr


def test_labels_from_the_command_line_and_a_bad_one(where: list[str]) -> None:
    sample = str(DATA / "github-rest-issues.json")
    run_cli(
        "incidents",
        "import",
        sample,
        *where,
        "--skip-invalid",
        "--severity-label",
        "needs triage=5",
    )
    ranks = [
        json.loads(line)["severity_rank"]
        for line in run_cli("incidents", "list", *where, "--json").stdout.splitlines()
    ]
    assert ranks
    bad = run_cli("incidents", "import", sample, *where, "--severity-label", "p1=9", check=False)
    assert bad.exit_code == 2
    assert "1-5" in bad.stderr


def test_an_unknown_format_is_a_usage_error(where: list[str]) -> None:
    result = run_cli(
        "incidents",
        "import",
        str(DATA / "jira-search-v2.json"),
        *where,
        "--format",
        "nope",
        check=False,
    )
    assert result.exit_code == 2


def test_proxies_are_listed_and_stored_apart(repo_builder: RepoBuilder, where: list[str]) -> None:
    repo_builder.commit(
        {"shop/checkout.py": CHECKOUT.replace("-order", "0 - order")}, "Fix refund sign"
    )
    listed = run_cli("incidents", "proxies", *where).stdout.splitlines()
    assert len(listed) == 1
    assert "Fix refund sign" in listed[0]
    stored = json.loads(run_cli("incidents", "proxies", *where, "--store", "--json").stdout)
    assert len(stored["added"]) == 1
    assert run_cli("incidents", "list", *where).stdout == ""
    assert "Fix refund sign" in run_cli("incidents", "list", *where, "--proxies").stdout
    assert "relinked 0" in run_cli("incidents", "relink", *where).stdout
    assert "relinked 1" in run_cli("incidents", "relink", *where, "--all").stdout
