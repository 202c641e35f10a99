"""Helpers for tests/deploy: deploy/*.py loaded by path, programs the tests need, a trial
certificate, and a TCP relay that can be pulled out.

The deploy folder is not a package (gunicorn and people run its files directly), so its modules
are loaded from their paths (`load_deploy_module`, from tests/support_cluster.py).
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import threading
from pathlib import Path

import pytest
from support import REQUIRE_SERVICES
from support_cluster import DEPLOY, load_deploy_module

__all__ = ["DEPLOY", "Relay", "load_deploy_module", "require_program", "self_signed"]


def require_program(name: str, install: str) -> str:
    """The path of a program; skip (fail with CARGAME_REQUIRE_SERVICES=1) when it is missing."""
    found = shutil.which(name)
    if found:
        return found
    message = f"{name} is not installed ({install})"
    if REQUIRE_SERVICES:
        pytest.fail(message + " (CARGAME_REQUIRE_SERVICES=1)")
    pytest.skip(message)


def self_signed(folder: Path) -> Path:
    """deploy/self-signed-cert into `folder`; the certificate's path."""
    subprocess.run(
        [str(DEPLOY / "self-signed-cert"), "localhost", str(folder)],
        check=True,
        capture_output=True,
    )
    return folder / "fullchain.pem"


class Relay:
    """A TCP relay to a real service that can be pulled out, as a network outage would."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.sockets: list[socket.socket] = []
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        """Nothing listens any more and every open connection is cut."""
        self.closed = True
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() (Linux)
        self.listener.close()
        for open_socket in self.sockets:
            with contextlib.suppress(OSError):
                open_socket.shutdown(socket.SHUT_RDWR)
            open_socket.close()
