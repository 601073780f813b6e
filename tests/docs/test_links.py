"""Every relative link in README.md and docs/*.md points at a file or folder that exists, and every `#anchor` into a
Markdown page names one of its headings (GitHub's heading ids)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
_CODE = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"\]\(([^()\s]+)\)")
_EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)  # https:, mailto:, ...


def links(text: str) -> list[str]:
    """Returns the targets of the inline Markdown links of `text`, outside code blocks and code spans."""
    prose = _FENCE.sub("", text)
    # Link text may be a code span ([`x`](x)); only code spans that are not link text hide what they hold.
    prose = _CODE.sub(lambda m: m.group(0) if prose[m.end() : m.end() + 2] == "](" else "``", prose)
    return _LINK.findall(prose)


def anchors(text: str) -> set[str]:
    """Returns the ids GitHub gives the headings of a Markdown page."""
    found: set[str] = set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*$", _FENCE.sub("", text), flags=re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        found.add(slug)
    return found


def broken_links(page: Path) -> list[str]:
    """Returns the relative links of `page` whose file, folder or anchor does not exist."""
    broken = []
    for target in links(page.read_text()):
        if _EXTERNAL.match(target):
            continue
        path_part, _, anchor = target.partition("#")
        path = (page.parent / path_part).resolve() if path_part else page
        if not path.exists():
            broken.append(target)
        elif anchor and path.suffix == ".md" and anchor not in anchors(path.read_text()):
            broken.append(target)
    return broken


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_every_relative_link_resolves(page: Path) -> None:
    assert links(page.read_text()), f"{page.name} links nowhere"
    assert broken_links(page) == []


def test_the_docs_pages_are_all_linked_from_the_readme() -> None:
    readme_links = set(links((ROOT / "README.md").read_text()))
    assert {f"docs/{p.name}" for p in PAGES[1:]} <= readme_links


def test_the_checker_finds_a_broken_file_and_a_broken_anchor(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# Other page\n\n## A section (with 'punctuation')\n")
    page = tmp_path / "page.md"
    page.write_text(
        "[ok](other.md) [ok](other.md#a-section-with-punctuation) [ok](https://example.org/x)\n"
        "[gone](missing.md) [bad anchor](other.md#nope) `[in code](missing-too.md)`\n"
        "```\n[in a block](missing-three.md)\n```\n"
    )
    assert broken_links(page) == ["missing.md", "other.md#nope"]
