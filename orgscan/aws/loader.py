"""botocore's data files, parsed once per process and shared by every session orgscan creates.

Why: a botocore session parses the JSON of each service model, endpoint rule set and
``endpoints.json`` the first time one of its clients needs it, tens of milliseconds each (EC2's
model alone is several megabytes). orgscan creates a session per ``SessionFactory`` (a scan, a
remediation run, the demo's simulated organization), and a new session starts with an empty
cache. These files are read-only data, the same for every session with the same ``data_path``
(``AWS_DATA_PATH``), so one loader per data path serves them all.
"""

from __future__ import annotations

import functools
import os
import threading
from typing import Any

import botocore.session
from botocore.exceptions import ProfileNotFound
from botocore.loaders import Loader


class _SharedLoader(Loader):
    """A ``Loader`` safe to share between threads: each file is parsed and post-processed once.

    botocore's cache is a plain dict filled without a lock; two sessions loading the same model
    at once would both merge its extras into the one cached document.
    """

    def __init__(self, extra_search_paths: list[str] | None) -> None:
        super().__init__(extra_search_paths=extra_search_paths)
        self._shared_lock = threading.RLock()

    def load_service_model(self, *args: Any, **kwargs: Any) -> Any:
        with self._shared_lock:
            return super().load_service_model(*args, **kwargs)

    def load_data_with_path(self, *args: Any, **kwargs: Any) -> Any:
        with self._shared_lock:
            return super().load_data_with_path(*args, **kwargs)


@functools.cache
def shared_loader(data_path: str | None) -> Loader:
    """The process's loader for ``data_path``, searched as botocore's ``create_loader`` does."""
    if data_path is None:
        return _SharedLoader(None)
    paths = [os.path.expanduser(os.path.expandvars(path)) for path in data_path.split(os.pathsep)]
    return _SharedLoader(paths)


def share_loader(session: botocore.session.Session) -> botocore.session.Session:
    """Make ``session`` read botocore's data through the shared loader; returns ``session``.

    Call it before the session creates its first client.
    """
    try:
        data_path = session.get_config_variable("data_path")  # a profile may set it
    except ProfileNotFound:
        # Left as it is: its first client reports the missing profile where callers expect it.
        return session
    session.register_component("data_loader", shared_loader(data_path))
    return session


def new_session() -> botocore.session.Session:
    """A botocore session, configured as ``botocore.session.get_session()``, with the shared
    loader."""
    return share_loader(botocore.session.get_session())
