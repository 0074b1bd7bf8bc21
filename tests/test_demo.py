"""`python -m dlnfast demo` runs and reports a recovery that basis pursuit confirms."""

import re
import subprocess
import sys


def test_demo_recovers_the_planted_vector():
    # A smaller problem than the default (n = 60, d = 300, ~0.2 s of training); the demo's own checks
    # (HiGHS basis pursuit and a numpy loop) are the oracles whose agreement it prints.
    out = subprocess.run(
        [sys.executable, "-m", "dlnfast", "demo", "--n-features", "300", "--n-samples", "60"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    errors = [float(v) for v in re.findall(r"relative error vs [^:]*: *([0-9.e+-]+)", out)]
    assert len(errors) == 2, out
    assert max(errors) < 1e-2, out  # vs basis pursuit and vs the planted vector
    planted = re.search(r"\(planted: (\[[0-9, ]*\])\)", out).group(1)
    found = re.search(r"support found \([^)]*\): (\[[0-9, ]*\])", out).group(1)
    assert found == planted, out
    agree = float(re.search(r"iterates agree to ([0-9.e+-]+)", out).group(1))
    assert agree < 1e-8, out  # same iterations as the numpy loop


def test_demo_needs_a_command():
    res = subprocess.run([sys.executable, "-m", "dlnfast"], capture_output=True, text=True, timeout=60)
    assert res.returncode == 2
    assert "demo" in res.stderr
