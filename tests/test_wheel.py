"""A non-editable install carries its templates, styles, content and fonts: build, install, render."""

import subprocess
import sys
import venv

import pdfcheck
from conftest import NAME, ROOT


def test_wheel_renders_from_an_unrelated_folder(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
    )
    wheel = next(dist.glob("*.whl"))
    env = tmp_path / "venv"
    # The dependencies come from this environment; the package itself only from the wheel.
    venv.create(env, system_site_packages=True, with_pip=True)
    subprocess.run(
        [env / "bin/python", "-m", "pip", "install", "-q", "--no-deps", str(wheel)], check=True, capture_output=True
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = subprocess.run(
        [env / "bin/python", "-c", "import handouts.paths as p; print(p.BUILTIN_ROOT)"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert where.startswith(str(env)) and where.endswith("_builtin")
    done = subprocess.run(
        [env / "bin/handouts", "make", "surgical-consult", "-p", NAME, "-d", "2026-03-14", "-o", "s.pdf"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    pdf = (elsewhere / "s.pdf").read_bytes()
    assert NAME in pdfcheck.text(pdf)
    assert all(name.startswith("Atkinson-Hyperlegible") for name in pdfcheck.font_names(pdf))
