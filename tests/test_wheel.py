"""A non-editable install carries its templates, styles, content and fonts: build, install, render."""

import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

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
    # The package comes only from the wheel; its dependencies from the project's own .venv, whose
    # site-packages a .pth line puts on the path. (Not system_site_packages: that is the base
    # interpreter's, which has nothing installed on a fresh machine.) A .pth line adds the folder
    # without running the .pth files inside it, so the editable checkout is not on the path.
    # The project's own pip installs into it (pip --python), rather than a pip of its own (5 s more).
    venv.create(env)
    purelib = Path(
        subprocess.run(
            [env / "bin/python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    (purelib / "project-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", env / "bin/python", "install", "-q", "--no-deps", str(wheel)],
        check=True,
        capture_output=True,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = subprocess.run(
        [env / "bin/python", "-c", "import handouts.base.paths as p; print(p.BUILTIN_ROOT)"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert where.startswith(str(env)) and where.endswith("_builtin")
    assert str(ROOT) not in where
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
