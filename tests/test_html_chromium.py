"""report.html in a real browser: headless Chromium (Debian's ``chromium``) renders it without script errors.

The screenshot of the D3 push-no-typ-check report is kept at
``<--poolcheck-out>/screenshots/report-D3-push-no-typ-check.png`` (default
reports/screenshots/). Skipped, with the reason, only when no Chromium is installed.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from model.tracefile import load
from poolcheck import artifacts

REGRESSIONS = Path(__file__).parent / "regressions"
BROWSER = next((b for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None)
pytestmark = pytest.mark.skipif(BROWSER is None, reason="Chromium is not installed (apt-get install chromium); "
                                                        "CI installs it")

_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
          "--disable-background-networking", "--disable-component-update", "--disable-sync",
          "--enable-logging=stderr", "--v=0"]


def _chromium(page: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    assert BROWSER is not None
    return subprocess.run([BROWSER, *_FLAGS, f"--user-data-dir={profile}", *extra, page.resolve().as_uri()],
                          capture_output=True, text=True, timeout=120)


def script_errors(log: str) -> list[str]:
    """Console lines Chromium logs for uncaught exceptions and script errors."""
    return [ln for ln in log.splitlines() if "Uncaught" in ln or ("CONSOLE" in ln and "Error" in ln)]


def render(page: Path, tmp: Path, png: Path) -> tuple[str, str]:
    """Screenshot ``page`` into ``png``; return (the DOM after scripts ran, the console log)."""
    shot = _chromium(page, tmp / "profile-shot", f"--screenshot={png}", "--window-size=1280,900")
    dom = _chromium(page, tmp / "profile-dom", "--dump-dom")
    return dom.stdout, shot.stderr + dom.stderr


def _distinct_colours(png: Path) -> int:
    from PIL import Image
    with Image.open(png) as im:
        colours = im.convert("RGB").resize((320, 225)).getcolors(1 << 20)
        return len(colours or [])


def test_report_renders_in_chromium(tmp_path: Path, poolcheck_out: Path) -> None:
    folder = artifacts.save(load(REGRESSIONS / "D3-push-no-typ-check.json"), tmp_path / "reports")
    png = tmp_path / "report.png"
    dom, log = render(folder / "report.html", tmp_path, png)
    assert not script_errors(log), script_errors(log)
    assert 'data-ready="1"' in dom, "the page's script did not run to its end"
    assert 'class="row violation sel"' in dom, "the violating step is not selected"
    assert png.is_file() and png.stat().st_size > 20_000
    assert _distinct_colours(png) > 50, "the screenshot is blank"
    keep = poolcheck_out / "screenshots" / "report-D3-push-no-typ-check.png"
    keep.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(png, keep)


def test_a_script_error_is_detected(tmp_path: Path) -> None:
    """The detector itself: a page whose script throws must be caught."""
    page = tmp_path / "broken.html"
    page.write_text("<!doctype html><html><body><p>x</p><script>undefinedFunction();</script></body></html>")
    dom, log = render(page, tmp_path, tmp_path / "broken.png")
    assert script_errors(log)
    assert 'data-ready="1"' not in dom
