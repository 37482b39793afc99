"""Screenshots of each main page of a running Design Toolkit, at 1440 px and at 390 px (a phone).

Why: so anyone can look at the product, on a wide screen and on a phone, without running a
browser by hand, and see a layout change between two versions side by side.

Usage::

    python bench/screenshots.py                       # run.sh's demo login on 127.0.0.1:8000
    python bench/screenshots.py --url http://127.0.0.1:8103 --email me@example.org \\
        --password secret --out var/screenshots

It logs in through the login form, finds the pages to show through the REST API (the newest
project, its first model, the newest succeeded job, else the newest job) and writes
``<page>-<width>.png`` (full page) to ``--out``: dashboard, project, model, job, compare, jobs,
helpdesk. A page the account has nothing for (no job yet) is skipped and named in the output.
Drives Debian's chromium through Playwright (``--chromium``), as the browser tests do.

Output: one JSON line on stdout: ``{"written": [...], "skipped": {...}, "seconds": ...}``.
Exit code 0 when every page was written.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WIDTHS = {1440: 900, 390: 844}  # viewport width -> height, px
#: Charts draw after their data arrives; a page waits this long at most for its canvas.
CHART_WAIT_MS = 15_000


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--email", default="demo@example.com")
    parser.add_argument("--password", default="demo-password-2026")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "screenshots")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    return parser.parse_args(argv)


def first(page, api_path: str) -> dict[str, Any] | None:
    """The first row of a paged API list, read with the browser's session."""
    response = page.request.get(api_path)
    if not response.ok:
        raise RuntimeError(f"{api_path}: HTTP {response.status}")
    rows = response.json()["results"]
    return rows[0] if rows else None


def pages_to_show(page, url: str) -> tuple[dict[str, str], dict[str, str]]:
    """Page name -> URL, and page name -> why it was skipped."""
    pages = {"dashboard": "/", "jobs": "/jobs/", "helpdesk": "/helpdesk/"}
    skipped: dict[str, str] = {}
    job = first(page, f"{url}/api/jobs/?status=succeeded&page_size=1") or first(
        page, f"{url}/api/jobs/?page_size=1"
    )
    if job:
        pages["job"] = f"/jobs/{job['id']}/"
        pages["model"] = f"/models/{job['esdl_model']}/"
        pages["project"] = f"/projects/{job['project']}/"
    else:
        skipped["job"] = "the account sees no job"
        project = first(page, f"{url}/api/projects/?page_size=1")
        if project:
            pages["project"] = f"/projects/{project['id']}/"
            model = first(page, f"{url}/api/models/?project={project['id']}&page_size=1")
            if model:
                pages["model"] = f"/models/{model['id']}/"
    if "project" in pages:
        pages["compare"] = pages["project"] + "compare/"
    for name in ("project", "model", "compare"):
        if name not in pages:
            skipped[name] = "the account sees no project or model"
    return pages, skipped


def log_in(page, url: str, email: str, password: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda at: "/accounts/login/" not in at, timeout=30_000)


def settle(page) -> None:
    """Wait until the page has loaded its data and drawn its charts (if it has any)."""
    page.wait_for_load_state("networkidle")
    if page.locator("#chart, #compare-chart").count():
        try:
            page.wait_for_selector(
                "#chart canvas, #compare-chart canvas", state="attached", timeout=CHART_WAIT_MS
            )
        except Exception:  # noqa: BLE001 - a page without results still gets its picture
            pass
        page.wait_for_load_state("networkidle")


def main(argv: list[str] | None = None) -> int:
    from playwright.sync_api import sync_playwright

    args = parse_args(argv)
    url = args.url.rstrip("/")
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    written: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=args.chromium,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            for width, height in WIDTHS.items():
                context = browser.new_context(viewport={"width": width, "height": height})
                page = context.new_page()
                log_in(page, url, args.email, args.password)
                pages, skipped = pages_to_show(page, url)
                for name, path in pages.items():
                    page.goto(f"{url}{path}")
                    settle(page)
                    target = args.out / f"{name}-{width}.png"
                    page.screenshot(path=str(target), full_page=True)
                    written.append(str(target))
                context.close()
        finally:
            browser.close()
    print(
        json.dumps(
            {
                "written": written,
                "skipped": skipped,
                "seconds": round(time.monotonic() - started, 1),
            }
        )
    )
    return 0 if not skipped else 1


if __name__ == "__main__":
    sys.exit(main())
