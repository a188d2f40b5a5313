"""Scale-out on one host: deploy/replicas.sh starts two app processes behind nginx (deploy/nginx.conf as is),
and two browser sessions play, pause, step and upload a CSV through the proxy; then the script stops them all."""

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from e2e.waiting import wait_for_app_run
from playwright.sync_api import expect

from ganviz.bench.browser import free_port, healthy
from ganviz.bench.processes import has_proc, process_tree

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("nginx") is None, reason="needs nginx: apt-get install -y nginx"),
    pytest.mark.skipif(not has_proc(), reason="counts processes in /proc (Linux)"),
]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def proxied(artifacts):
    port = free_port()
    logs = artifacts / "replicas"
    logs.mkdir(exist_ok=True)
    script = subprocess.Popen(
        [str(ROOT / "deploy" / "replicas.sh"), "2", str(port)],
        env={**os.environ, "GANVIZ_LOGS": str(logs), "GANVIZ_CACHE_DIR": str(artifacts / "cache-replicas")},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while not healthy(base):
        assert script.poll() is None and time.monotonic() < deadline, script.stdout.read() if script.poll() else ""
        time.sleep(0.5)
    yield base, script
    if script.poll() is None:
        script.send_signal(signal.SIGTERM)
        script.wait(timeout=30)


def test_two_sessions_play_step_and_upload_through_nginx(proxied, browser, tmp_path):
    base, script = proxied
    csv = tmp_path / "points.csv"
    csv.write_text("x,y\n" + "\n".join(f"{i / 10},{(i % 7) / 10}" for i in range(40)))
    pages = [browser.new_context(viewport={"width": 1366, "height": 768}).new_page() for _ in range(2)]
    for page in pages:
        page.goto(base + "/playground", wait_until="domcontentloaded")
        wait_for_app_run(page)
        page.get_by_role("button", name="Play").click()
    for page in pages:
        page.get_by_role("button", name="Pause").click()
        wait_for_app_run(page)
        page.get_by_role("button", name="Step", exact=True).click()
        wait_for_app_run(page)
        expect(page.get_by_text(re.compile(r"iteration [1-9][\d,]* ·")).first).to_be_visible()
        page.get_by_text("Your own data: upload a CSV or draw points").click()
        page.locator(".st-key-pg_upload input[type='file']").set_input_files(str(csv))
        use = page.get_by_role("button", name="Train on this file")
        expect(use).to_be_enabled()
        use.click()
        wait_for_app_run(page)
        expect(page.get_by_text(re.compile(r"iteration 0 ·")).first).to_be_visible()
        assert "dataset=custom" in page.url
        expect(page.locator("[data-testid='stException']")).to_have_count(0)
    tree = process_tree(script.pid)
    assert len(tree) >= 4  # the script, two app processes, nginx
    for page in pages:
        page.context.close()
    script.send_signal(signal.SIGTERM)
    script.wait(timeout=30)
    deadline = time.monotonic() + 15  # the app processes' fork servers end when their parents have gone
    while (left := [p for p in tree if process_tree(p)]) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert left == []
