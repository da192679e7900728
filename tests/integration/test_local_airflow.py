"""`make airflow` / `make airflow-stop`: the UI answers on 127.0.0.1 and stopping leaves no process behind."""

import os
import socket
import subprocess
import sys
import urllib.request

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_airflow_start_and_stop_leave_no_process(warehouse_settings, airflow_processes):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CSC_", "AIRFLOW"))}
    env.update(CSC_HOME=str(warehouse_settings.home),
               CSC_WAREHOUSE_URL=warehouse_settings.warehouse_url.get_secret_value(),
               CSC_AIRFLOW_DATABASE=warehouse_settings.airflow_database)

    def csc(*args):
        return subprocess.run([sys.executable, "-m", "csc.cli", "airflow", *args], env=env, capture_output=True,
                              text=True, timeout=300)

    try:
        started = csc("start", "--port", str(port))
        assert started.returncode == 0, started.stdout + started.stderr
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/monitor/health", timeout=10) as response:
            assert response.status == 200
        assert len(airflow_processes(warehouse_settings.home)) >= 4
    finally:
        stopped = csc("stop")
    assert stopped.returncode == 0, stopped.stderr
    assert airflow_processes(warehouse_settings.home) == []
