"""Shared fixtures for the host tests: where the bundles are and signal helpers."""

import json
import os
import pathlib
import re
import subprocess

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SR = 48000


def bundle(debug: bool = False) -> pathlib.Path:
    env = os.environ.get("STAIRSTEP_VST3_DEBUG" if debug else "STAIRSTEP_VST3")
    path = pathlib.Path(env) if env else ROOT / "target" / ("bundled-debug" if debug else "bundled") / "Stairstep.vst3"
    if not path.exists():
        if os.environ.get("STAIRSTEP_REQUIRE_BUNDLES"):
            pytest.fail(f"{path} is missing: build it with scripts/test.sh")
        pytest.skip(f"{path} not built")
    return path


def renderer() -> pathlib.Path:
    """The release stairstep-render (scripts/test.sh builds it before these tests)."""
    path = ROOT / "target" / "release" / "stairstep-render"
    if not path.exists():
        if os.environ.get("STAIRSTEP_REQUIRE_BUNDLES"):
            pytest.fail(f"{path} is missing: cargo build --release --bin stairstep-render")
        pytest.skip(f"{path} not built")
    return path


def table(*flags: str) -> list:
    """The parameter table (`stairstep-render --list-params --json`), with the values `flags`
    (renderer flags: `--bits 6`, `--preset FILE`) set."""
    out = subprocess.run([str(renderer()), "--list-params", "--json", *flags], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def pedalboard_name(param: dict) -> str:
    """pedalboard's attribute for a parameter: its name and unit in snake case ("Bit Depth" in
    bits: bit_depth_bits; "Mix" in %: mix)."""
    words = re.findall(r"[a-z0-9]+", f"{param['name']} {param['unit']}".lower())
    return "_".join(words)


def sine(freq: float, amp: float, n: int, channels: int = 2) -> np.ndarray:
    t = np.arange(n) / SR
    x = (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return np.tile(x, (channels, 1))


def snr_db(x: np.ndarray, y: np.ndarray) -> float:
    x = x.astype(np.float64)
    e = y.astype(np.float64) - x
    return 10 * np.log10(np.sum(x * x) / np.sum(e * e))


def theory_db(bits: float, amp: float, dither_offset_db: float = 0.0) -> float:
    """6.02·N + 1.76 dB for a full-scale sine, less the dither's share, at amplitude amp."""
    return 6.0206 * bits + 1.7609 - dither_offset_db + 20 * np.log10(amp)
