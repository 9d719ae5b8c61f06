"""The course's links lead somewhere: every relative link in a notebook's markdown, and in the
README, names a file of the project, and the notebooks' links stay inside what `make lab` and the
browser test serve (notebooks/, exercises/, solutions/). Plain file checks: no browser needed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from lab_server import COURSE_FOLDERS, REPO

# [text](target) and ![alt](target), with an optional "title"; raw HTML href= and src= too.
LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)|(?:href|src)=[\"']([^\"']+)[\"']")
EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//|#)", re.I)  # http:, mailto:, data:, //x, #anchor


def course_notebooks() -> list[Path]:
    return sorted(path for folder in COURSE_FOLDERS for path in (REPO / folder).glob("*.ipynb"))


def relative_links(markdown: str) -> list[str]:
    """The link targets in `markdown` that point at a file, without their #fragment or ?query."""
    targets = (match.group(1) or match.group(2) for match in LINK.finditer(markdown))
    return [re.split(r"[#?]", target)[0] for target in targets if not EXTERNAL.match(target)]


def markdown_of(notebook: Path) -> str:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return "\n".join(
        "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for cell in cells
        if cell["cell_type"] == "markdown"
    )


@pytest.mark.parametrize(
    "notebook", course_notebooks(), ids=lambda path: f"{path.parent.name}/{path.stem[:2]}"
)
def test_every_relative_link_of_a_notebook_opens_a_served_file(notebook: Path) -> None:
    links = relative_links(markdown_of(notebook))
    if notebook.parent.name == "notebooks":
        assert any("exercises/" in link for link in links), f"{notebook.name} links no exercise"
    broken = [link for link in links if not (notebook.parent / link).resolve().is_file()]
    assert not broken, f"{notebook.relative_to(REPO)} links to missing files: {broken}"
    outside = [
        link
        for link in links
        if (notebook.parent / link).resolve().relative_to(REPO).parts[0] not in COURSE_FOLDERS
    ]
    assert not outside, (
        f"{notebook.relative_to(REPO)} links outside {', '.join(COURSE_FOLDERS)}: {outside}"
    )


def test_every_relative_link_of_the_readme_names_a_file() -> None:
    links = relative_links((REPO / "README.md").read_text(encoding="utf-8"))
    assert links, "the README links no file (the link pattern is wrong?)"
    broken = [link for link in links if not (REPO / link).exists()]
    assert not broken, f"README.md links to missing files: {broken}"


def test_the_readme_course_map_links_every_notebook_its_exercises_and_its_solutions() -> None:
    links = set(relative_links((REPO / "README.md").read_text(encoding="utf-8")))
    missing = [str(path.relative_to(REPO)) for path in course_notebooks()
               if str(path.relative_to(REPO)) not in links]
    assert not missing, f"README.md's course map does not link {missing}"
