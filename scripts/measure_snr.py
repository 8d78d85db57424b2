"""Prints the SNR table of the README: Stairstep's VST3 in pedalboard against theory.

Usage: .venv/bin/python scripts/measure_snr.py [path/to/Stairstep.vst3]
A 997 Hz sine at 0.9 of full scale, 2 s at 48 kHz, stereo, blocks of 512.
"""

import sys

import numpy as np
import pedalboard

SR = 48000
AMP = 0.9


def main() -> None:
    path = sys.argv[1] if len(sys.argv) > 1 else "target/bundled/Stairstep.vst3"
    p = pedalboard.load_plugin(path)
    x = np.tile((AMP * np.sin(2 * np.pi * 997 * np.arange(2 * SR) / SR)).astype(np.float32), (2, 1))
    print("| bits | theory, no dither (dB) | measured (dB) | theory, TPDF (dB) | measured (dB) |")
    print("|---:|---:|---:|---:|---:|")
    for bits in (4, 6, 8, 12, 16, 20, 24):
        row = [f"{bits}"]
        for dither, offset in (("Off", 0.0), ("TPDF", 4.7712)):
            p.parameters["bit_depth_bits"].raw_value = (bits - 1) / 23
            p.dither = dither
            y = p.process(x, sample_rate=SR, buffer_size=512, reset=True)
            e = y.astype(np.float64) - x
            snr = 10 * np.log10(np.sum(x.astype(np.float64) ** 2) / np.sum(e**2))
            theory = 6.0206 * bits + 1.7609 - offset + 20 * np.log10(AMP)
            row += [f"{theory:.2f}", f"{snr:.2f}"]
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
