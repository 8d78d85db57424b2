"""Writes the README's parameter table from the parameter table itself
(`stairstep-render --list-params --json`), between the README's `<!-- params:begin ... -->` and
`<!-- params:end -->` lines. With --check it changes nothing and exits 1 (printing the
difference) when the README's table is not the generated one: CI runs it that way.

Usage: python3 scripts/params_table.py [--check] [--render PATH/TO/stairstep-render]
"""

import argparse
import difflib
import json
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
BEGIN = "<!-- params:begin"
END = "<!-- params:end -->"


def renderer(given):
    if given:
        return given
    for profile in ("release", "debug"):
        path = ROOT / "target" / profile / "stairstep-render"
        if path.exists():
            return str(path)
    sys.exit("params_table.py: no stairstep-render built (cargo build --bin stairstep-render)")


def number(v):
    """A value as a person writes it: 24, 0.5, -12, 96000."""
    return f"{v:g}" if isinstance(v, float) else str(v)


def hz(v):
    return f"{number(v / 1000)} kHz" if v >= 1000 else f"{number(v)} Hz"


def values(p):
    kind, unit = p["kind"], p["unit"]
    if kind == "choice":
        return ", ".join(c["name"] for c in p["choices"])
    if kind == "switch":
        return "off, on"
    if kind == "hz":
        return f"{hz(p['min'])} to {hz(p['max'])}, logarithmic"
    if unit == "x":
        return f"{number(p['min'])}× to {number(p['max'])}×, whole"
    sign = "+" if p["min"] < 0 else ""
    text = f"{number(p['min'])} to {sign}{number(p['max'])} {unit}".strip()
    return text + (", skewed" if p["range"]["type"] == "skewed" else "")


def default(p):
    kind, v = p["kind"], p["default"]
    if kind == "choice":
        return next(c["name"] for c in p["choices"] if c["id"] == v)
    if kind == "switch":
        return "on" if v else "off"
    if kind == "hz":
        return hz(v)
    if p["unit"] == "x":
        return f"{number(v)}×"
    return f"{number(v)} {p['unit']}".strip()


def table(params):
    lines = ["| id | name | values | default | what it does |", "|---|---|---|---|---|"]
    for p in params:
        tip = p["tooltip"].replace("|", "\\|")
        lines.append(f"| `{p['id']}` | {p['name']} | {values(p)} | {default(p)} | {tip} |")
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--render")
    args = parser.parse_args()
    out = subprocess.run([renderer(args.render), "--list-params", "--json"], capture_output=True, text=True, check=True)
    params = json.loads(out.stdout)
    readme = ROOT / "README.md"
    lines = readme.read_text().splitlines()
    try:
        begin = next(i for i, line in enumerate(lines) if line.startswith(BEGIN))
        end = next(i for i, line in enumerate(lines) if line.strip() == END and i > begin)
    except StopIteration:
        sys.exit(f"params_table.py: README.md has no '{BEGIN} ...' and '{END}' lines")
    new = lines[: begin + 1] + table(params) + lines[end:]
    if args.check:
        if new != lines:
            sys.stdout.writelines(difflib.unified_diff([l + "\n" for l in lines], [l + "\n" for l in new], "README.md", "generated"))
            sys.exit("params_table.py: README.md's parameter table is not the table's: run python3 scripts/params_table.py")
        print(f"README.md's parameter table is the table's ({len(params)} parameters)")
        return
    readme.write_text("\n".join(new) + "\n")
    print(f"README.md: {len(params)} parameters written")


if __name__ == "__main__":
    main()
