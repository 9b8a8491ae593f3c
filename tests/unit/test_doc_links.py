"""Every link in the repository's Markdown stays inside the repository and resolves.

A user of this project has only the repository: a link to ``../shared/...``, an absolute
file path or a file that does not exist is a broken promise, so it fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SKIPPED_DIRS = {".venv", ".git", "target", "dbt_packages", "logs", "node_modules",
                "demo_warehouse", "demo_landing", ".pytest_cache"}  # fmt: skip
# [text](target) and [text]: target reference definitions; images too.
INLINE = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s*\[[^\]]+\]:\s*(\S+)", re.MULTILINE)
CODE = re.compile(r"```.*?```|`[^`\n]*`", re.DOTALL)


def markdown_files() -> list[Path]:
    return sorted(
        p for p in REPO.rglob("*.md")
        if not SKIPPED_DIRS & set(p.relative_to(REPO).parts)
    )  # fmt: skip


def link_problems(path: Path, repo: Path = REPO) -> list[str]:
    """One sentence per link of ``path`` that leaves ``repo`` or points to nothing."""
    text = CODE.sub("", path.read_text(encoding="utf-8"))
    problems = []
    for target in INLINE.findall(text) + REFERENCE.findall(text):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE) and not target.startswith(
            "file:"
        ):
            continue  # http(s), mailto: outside documents, not files
        location = target.split("#", 1)[0]
        if not location:
            continue  # an anchor on the same page
        if location.startswith(("/", "file:")) or re.match(r"^[A-Za-z]:[\\/]", location):
            problems.append(f"{path.relative_to(repo)}: {target} is an absolute path")
            continue
        resolved = (path.parent / location).resolve()
        if not resolved.is_relative_to(repo.resolve()):
            problems.append(f"{path.relative_to(repo)}: {target} leaves the repository")
        elif not resolved.exists():
            problems.append(f"{path.relative_to(repo)}: {target} does not exist")
    return problems


def test_every_markdown_link_resolves_inside_the_repository() -> None:
    files = markdown_files()
    assert REPO / "README.md" in files and REPO / "docs" / "marts.md" in files
    problems = [problem for path in files for problem in link_problems(path)]
    assert problems == []


@pytest.mark.parametrize(
    ("link", "problem"),
    [
        ("[spec](../shared/spec/marts.md)", "leaves the repository"),
        ("[spec](/work/shared/spec/marts.md)", "is an absolute path"),
        ("[gone](docs/nowhere.md)", "does not exist"),
        ("[ref]: ../../outside.md", "leaves the repository"),
    ],
)
def test_a_bad_link_is_named(tmp_path: Path, link: str, problem: str) -> None:
    repo = tmp_path / "repo"
    (repo / "docs").mkdir(parents=True)
    page = repo / "README.md"
    page.write_text(f"See [fine](docs/) and [web](https://example.com).\n\n{link}\n")
    problems = link_problems(page, repo)
    assert len(problems) == 1 and problem in problems[0]
