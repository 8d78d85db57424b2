#!/usr/bin/env python3
"""Print the body of one version's section of CHANGELOG.md (Keep a Changelog form).

    python3 scripts/changelog_section.py 0.2.0          # the "## [0.2.0] - 2026-12-01" section
    python3 scripts/changelog_section.py Unreleased     # the "## [Unreleased]" section
    python3 scripts/changelog_section.py 0.2.0 --changelog path/to/CHANGELOG.md

The body is everything between the section's "## [VERSION]" heading and the next "## "
heading (its "### Added" / "### Fixed" subsections included), without leading and trailing
blank lines; for the last section, the link reference definitions that Keep a Changelog puts
at the end of the file ("[0.2.0]: https://...") are left out. A leading "v" is accepted
("v0.2.0" finds "## [0.2.0]"). The release workflow uses the output as release notes.

Exit status: 0 with the body on stdout; 1 with a message on stderr when the file is missing
or has no such section, or the section is empty; 2 for a usage error.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

DEFAULT_CHANGELOG = Path(__file__).resolve().parent.parent / "CHANGELOG.md"

# "## [0.1.0] - 2026-11-27", "## [Unreleased]", "## [1.0.0] - 2027-01-01 [YANKED]".
SECTION_HEADING = re.compile(r"^##\s+\[([^\]]+)\]")
# Any level-2 heading ends a section; "###" subsections do not.
LEVEL2_HEADING = re.compile(r"^##(?!#)")
# "[0.1.0]: https://example.org/compare/v0.0.9...v0.1.0"
LINK_DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*\S")


class ChangelogError(Exception):
    """A message for the user: no such file, no such section, an empty section."""


def section_headings(lines: list[str]) -> list[tuple[int, str]]:
    """(line index, version) of every "## [VERSION]" heading."""
    found = []
    for i, line in enumerate(lines):
        m = SECTION_HEADING.match(line)
        if m:
            found.append((i, m.group(1).strip()))
    return found


def extract_section(text: str, version: str) -> str:
    """The body of the "## [version]" section of a Keep a Changelog text."""
    lines = text.splitlines()
    headings = section_headings(lines)
    wanted = [version]
    if re.fullmatch(r"v\d.*", version):
        wanted.append(version[1:])
    start = None
    for name in wanted:
        start = next((i for i, v in headings if v == name), None)
        if start is not None:
            break
    if start is None:
        known = ", ".join(v for _, v in headings) or "none"
        raise ChangelogError(f'no "## [{version}]" section (sections found: {known})')

    end = next((i for i in range(start + 1, len(lines)) if LEVEL2_HEADING.match(lines[i])), None)
    body = lines[start + 1 : end]
    if end is None:
        # The last section: drop the file's closing link reference definitions.
        while body and (not body[-1].strip() or LINK_DEFINITION.match(body[-1])):
            body.pop()
    while body and not body[0].strip():
        body.pop(0)
    while body and not body[-1].strip():
        body.pop()
    if not body:
        raise ChangelogError(f'the "## [{version}]" section is empty')
    return "\n".join(body) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("version", help='the version as in the heading, e.g. "0.2.0" or "Unreleased"')
    parser.add_argument(
        "--changelog",
        type=Path,
        default=DEFAULT_CHANGELOG,
        help="the changelog to read (default: CHANGELOG.md at the repository root)",
    )
    args = parser.parse_args(argv)
    try:
        try:
            text = args.changelog.read_text(encoding="utf-8")
        except OSError as e:
            raise ChangelogError(f"cannot read {args.changelog}: {e.strerror or e}") from e
        body = extract_section(text, args.version)
    except ChangelogError as e:
        print(f"changelog_section.py: {args.changelog}: {e}", file=sys.stderr)
        return 1
    sys.stdout.write(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
