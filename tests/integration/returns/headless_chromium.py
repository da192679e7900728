"""Headless Chromium driven through the Debian chromedriver's W3C WebDriver HTTP API, with the standard library only.

No WebDriver client library: Selenium pulls in trio, whose import runs ``ldconfig``, and httpcore imports trio when it
is installed, so every Airflow import (and the DAG-import test) would start a process.
"""

from __future__ import annotations

import base64
import json
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
# The network is closed here: without these flags Chromium stalls on background connections.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars", "--force-device-scale-factor=1"]
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class WebDriverError(RuntimeError):
    pass


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class HeadlessChromium:
    """One browser session with a new, empty profile; :meth:`quit` ends the browser, the driver and the profile."""

    def __init__(self, width: int = 1280, height: int = 1000) -> None:
        self.profile = tempfile.mkdtemp(prefix="csc-chromium-")
        port = _free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.driver = subprocess.Popen([str(CHROMEDRIVER), f"--port={port}"], stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)
        try:
            self._wait_until_ready()
            session = self._call("POST", "/session", {"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {"binary": str(CHROMIUM), "args": [
                    *CHROMIUM_FLAGS, f"--window-size={width},{height}", f"--user-data-dir={self.profile}"]},
            }}})
            self.session = session["sessionId"]
        except BaseException:
            self._stop_driver()
            raise

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + 30
        while True:
            try:
                if self._call("GET", "/status").get("ready"):
                    return
            except (urllib.error.URLError, ConnectionError):
                pass
            if self.driver.poll() is not None or time.monotonic() > deadline:
                raise WebDriverError(f"chromedriver did not start (exit code {self.driver.poll()})")
            time.sleep(0.1)

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with _NO_PROXY.open(request, timeout=120) as response:
                return json.loads(response.read())["value"]
        except urllib.error.HTTPError as exc:
            raise WebDriverError(json.loads(exc.read()).get("value", {}).get("message", str(exc))) from None

    def _session_call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return self._call(method, f"/session/{self.session}{path}", body)

    def get(self, url: str) -> None:
        self._session_call("POST", "/url", {"url": url})

    @property
    def title(self) -> str:
        return self._session_call("GET", "/title")

    def execute(self, script: str, *args: Any) -> Any:
        return self._session_call("POST", "/execute/sync", {"script": script, "args": list(args)})

    def set_window_size(self, width: int, height: int) -> None:
        self._session_call("POST", "/window/rect", {"width": width, "height": height})

    def screenshot(self) -> bytes:
        """PNG of the viewport."""
        return base64.b64decode(self._session_call("GET", "/screenshot"))

    def quit(self) -> None:
        try:
            self._session_call("DELETE", "")
        finally:
            self._stop_driver()

    def _stop_driver(self) -> None:
        self.driver.terminate()
        self.driver.wait(timeout=30)
        shutil.rmtree(self.profile, ignore_errors=True)
