"""The real AWS CLI (v1) for the script tests, without its start-up cost on every command.

A remediation script calls ``aws`` dozens of times, and each ``aws`` process spends ~0.4 s of
CPU importing botocore and awscli before it does anything. ``serve`` imports them once, then
forks a child per command that runs ``awscli.clidriver.main()`` — the entry point of the ``aws``
executable — with that command's arguments, environment, working folder and standard streams.
The ``aws`` on the scripts' PATH is a small stdlib-only client (``shim_text``) that hands those
to the server and exits with the CLI's exit status. Argument parsing, JMESPath queries, request
signing and the API calls are the CLI's own code, as with the installed ``aws``.

Run as ``python awscli_server.py SOCKET``; ``AwsCli`` starts and stops it for a test.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any

_MAX_REQUEST = 1 << 20


def shim_text(python: str, socket_path: str) -> str:
    """An ``aws`` executable that runs its command in the server at ``socket_path``."""
    return f"""#!{python} -S
import json, os, socket, struct, sys
client = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
client.connect({socket_path!r})
request = {{"argv": sys.argv[1:], "env": dict(os.environ), "cwd": os.getcwd()}}
socket.send_fds(client, [json.dumps(request).encode()], [0, 1, 2])
reply = client.recv(4)
sys.exit(struct.unpack("!i", reply)[0] if len(reply) == 4 else 255)
"""


def serve(socket_path: str) -> None:
    """Import the AWS CLI once, then run every command sent to ``socket_path`` in a fork."""
    os.environ.pop("AWS_DATA_PATH", None)
    import awscli.clidriver  # noqa: F401 - the start-up cost, paid once

    # What `import awscli` put there: the CLI's own data folder (see _child_environment).
    cli_data_path = os.environ.pop("AWS_DATA_PATH")
    _warm_up(cli_data_path)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    server = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    server.bind(socket_path)
    server.listen(64)
    while True:
        connection, _ = server.accept()
        if os.fork() == 0:
            server.close()
            _run_command(connection, cli_data_path)  # never returns
        connection.close()


#: Commands the scripts use, run once before serving with ``--generate-cli-skeleton`` (no
#: request is sent): the modules the CLI imports lazily and its module-level caches are then
#: loaded once in the server, and every child starts with them, ~0.1 s less per command.
_WARM_UP_COMMANDS = (
    ("sts", "get-caller-identity"),
    ("s3api", "get-object-lock-configuration", "--bucket", "warm-up"),
    ("cloudtrail", "describe-trails"),
)


def _warm_up(cli_data_path: str) -> None:
    from awscli.clidriver import main

    saved = dict(os.environ)
    os.environ.update(
        AWS_DATA_PATH=cli_data_path,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    real_stdout = sys.stdout
    sys.stdout = io.StringIO()
    try:
        for command in _WARM_UP_COMMANDS:
            sys.argv = ["aws", *command, "--generate-cli-skeleton"]
            with contextlib.suppress(SystemExit):
                main()
    finally:
        sys.stdout = real_stdout
        os.environ.clear()
        os.environ.update(saved)


def _child_environment(env: dict[str, str], cli_data_path: str) -> dict[str, str]:
    # As `import awscli` does in a fresh process: the caller's AWS_DATA_PATH, then the CLI's.
    paths = (
        [
            os.path.expanduser(os.path.expandvars(path))
            for path in env["AWS_DATA_PATH"].split(os.pathsep)
        ]
        if "AWS_DATA_PATH" in env
        else []
    )
    # As the `aws` executable does before importing the CLI.
    if env.get("LC_CTYPE", "") == "UTF-8":
        env["LC_CTYPE"] = "en_US.UTF-8"
    return env | {"AWS_DATA_PATH": os.pathsep.join([*paths, cli_data_path])}


def _run_command(connection: socket.socket, cli_data_path: str) -> None:
    code = 255
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the CLI may wait for its own children
    try:
        data, fds, _, _ = socket.recv_fds(connection, _MAX_REQUEST, 3)
        request: dict[str, Any] = json.loads(data)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(_child_environment(request["env"], cli_data_path))
        sys.argv = ["aws", *request["argv"]]
        from awscli.clidriver import main

        code = main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - a child must answer whatever happened
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        try:
            connection.send(struct.pack("!i", code))
        finally:
            os._exit(0)


class AwsCli:
    """A running server and the folder holding its ``aws`` shim (put it first on PATH)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.socket_path = str(folder / "aws.sock")
        aws = folder / "aws"
        aws.write_text(shim_text(sys.executable, self.socket_path), encoding="utf-8")
        aws.chmod(0o755)
        self.process = subprocess.Popen(
            [sys.executable, __file__, self.socket_path], stdin=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 60
        while not Path(self.socket_path).exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the AWS CLI server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop the server (commands still running finish on their own)."""
        self.process.terminate()
        self.process.wait(timeout=30)


if __name__ == "__main__":
    serve(sys.argv[1])
