"""Tests of scripts/changelog_section.py, which turns a CHANGELOG.md section into release notes.

Each test writes a small Keep a Changelog text to a temporary file and runs the script as the
release workflow does, as a separate process, checking stdout, stderr and the exit status.
"""

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "changelog_section.py"

CHANGELOG = """\
# Changelog

All notable changes to this project are documented here. The format follows
[Keep a Changelog](https://keepachangelog.com/en/1.1.0/).

## [Unreleased]

### Fixed
- Something not yet released.

## [0.2.0] - 2026-12-01

### Added
- A Jitter parameter.

### Fixed
- Denormals in the filters.

## [0.1.0] - 2026-11-27

### Added
- The first release.

[Unreleased]: https://example.org/compare/v0.2.0...HEAD
[0.2.0]: https://example.org/compare/v0.1.0...v0.2.0
[0.1.0]: https://example.org/releases/tag/v0.1.0
"""


def run(tmp_path, text, *args):
    path = tmp_path / "CHANGELOG.md"
    path.write_text(text, encoding="utf-8")
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args, "--changelog", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_present_version_prints_its_body_with_subsections(tmp_path):
    r = run(tmp_path, CHANGELOG, "0.2.0")
    assert r.returncode == 0, r.stderr
    assert r.stdout == (
        "### Added\n- A Jitter parameter.\n\n### Fixed\n- Denormals in the filters.\n"
    )
    assert r.stderr == ""


def test_last_section_stops_before_the_link_definitions(tmp_path):
    r = run(tmp_path, CHANGELOG, "0.1.0")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "### Added\n- The first release.\n"


def test_last_section_without_link_definitions_or_final_newline(tmp_path):
    text = "# Changelog\n\n## [1.0.0] - 2027-01-01\n\n### Changed\n- Everything."
    r = run(tmp_path, text, "1.0.0")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "### Changed\n- Everything.\n"


def test_unreleased(tmp_path):
    r = run(tmp_path, CHANGELOG, "Unreleased")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "### Fixed\n- Something not yet released.\n"


def test_missing_version_exits_1_with_a_message(tmp_path):
    r = run(tmp_path, CHANGELOG, "9.9.9")
    assert r.returncode == 1
    assert r.stdout == ""
    assert 'no "## [9.9.9]" section' in r.stderr
    # The message lists what is there, to spot a typo or a forgotten heading.
    assert "Unreleased, 0.2.0, 0.1.0" in r.stderr


@pytest.mark.parametrize("version", ["0.2", "0.2.0-rc.1", "2.0", "unreleased"])
def test_no_prefix_or_partial_matches(tmp_path, version):
    r = run(tmp_path, CHANGELOG, version)
    assert r.returncode == 1
    assert r.stdout == ""


def test_leading_v_of_a_tag_is_accepted(tmp_path):
    r = run(tmp_path, CHANGELOG, "v0.2.0")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("### Added\n- A Jitter parameter.\n")


def test_prerelease_version(tmp_path):
    text = "## [1.0.0-rc.1] - 2027-01-01\n- Candidate.\n\n## [0.9.0] - 2026-12-01\n- Older.\n"
    r = run(tmp_path, text, "1.0.0-rc.1")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "- Candidate.\n"


def test_empty_section_exits_1(tmp_path):
    text = "## [0.3.0] - 2027-02-01\n\n## [0.2.0] - 2026-12-01\n- Something.\n"
    r = run(tmp_path, text, "0.3.0")
    assert r.returncode == 1
    assert r.stdout == ""
    assert "empty" in r.stderr


def test_missing_changelog_exits_1(tmp_path):
    r = subprocess.run(
        [sys.executable, str(SCRIPT), "0.1.0", "--changelog", str(tmp_path / "nope.md")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 1
    assert "cannot read" in r.stderr


def test_no_version_argument_is_a_usage_error(tmp_path):
    r = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, check=False)
    assert r.returncode == 2
    assert "usage" in r.stderr
