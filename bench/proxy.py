"""nginx in front of the served archive, for the benchmarks: the repository's own
deploy/nginx.conf, run on loopback from a scratch prefix with only its two addresses
changed (where it listens, where the archive is), stopped with the benchmark.

Debian's nginx (`apt-get install -y nginx`); nothing is installed or configured system-wide.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

HOST = "127.0.0.1"
CONFIG = Path(__file__).resolve().parent.parent / "deploy" / "nginx.conf"
SHIPPED_UPSTREAM = "server 127.0.0.1:5000;"
SHIPPED_LISTEN = "listen 80;"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def loopback_config(text: str, listen_port: int, app_port: int) -> str:
    """The shipped configuration with its two addresses on loopback (each must be there
    exactly once: the benchmark runs the file it ships, not another)."""
    for marker in (SHIPPED_UPSTREAM, SHIPPED_LISTEN):
        if text.count(marker) != 1:
            raise ValueError(f"{CONFIG}: expected {marker!r} once")
    text = text.replace(SHIPPED_UPSTREAM, f"server {HOST}:{app_port};")
    return text.replace(SHIPPED_LISTEN, f"listen {HOST}:{listen_port};")


class Proxy:
    """nginx listening on a free loopback port, passing to the archive at `app_port`."""

    def __init__(self, app_port: int) -> None:
        executable = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(executable).exists():
            raise RuntimeError("nginx is not installed: apt-get install -y nginx")
        self.port = free_port()
        self.prefix = Path(tempfile.mkdtemp(prefix="archive-nginx-"))
        for folder in ("logs", "temp"):
            (self.prefix / folder).mkdir()
        self.prefix.chmod(0o755)
        (self.prefix / "temp").chmod(0o777)  # the workers' user writes its buffers there
        config = self.prefix / "nginx.conf"
        config.write_text(loopback_config(CONFIG.read_text(), self.port, app_port))
        command = [executable, "-p", f"{self.prefix}/", "-c", str(config)]
        command += ["-e", str(self.prefix / "logs" / "error.log"), "-g", "daemon off;"]
        check = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
        if check.returncode != 0:
            raise RuntimeError(f"nginx refused {CONFIG}: {check.stderr[-2000:]}")
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.process.stderr.read().decode()}")
            try:
                with socket.create_connection((HOST, self.port), timeout=1):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("nginx did not start") from None
                time.sleep(0.2)

    def pids(self) -> list[int]:
        import psutil

        try:
            root = psutil.Process(self.process.pid)
            return [root.pid, *(p.pid for p in root.children(recursive=True))]
        except psutil.NoSuchProcess:
            return []

    def stop(self) -> None:
        stop_process(self.process)
        self.process.stderr.close()
        shutil.rmtree(self.prefix, ignore_errors=True)


def stop_process(process: subprocess.Popen) -> None:
    """Ask a benchmark's server to stop; kill it if it has not within 15 s."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
