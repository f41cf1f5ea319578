"""botocore's data files are parsed once per process and shared by every session orgscan makes."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from botocore.exceptions import ProfileNotFound
from botocore.loaders import Loader

from orgscan.aws.loader import new_session, shared_loader
from orgscan.aws.sessions import SessionFactory
from orgscan.simulate.build import Boto3ClientMaker


def test_every_session_reads_through_one_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DATA_PATH", raising=False)
    first, second = new_session(), new_session()
    assert first is not second
    assert first.get_component("data_loader") is second.get_component("data_loader")
    model = first.get_service_model("cloudtrail")
    # The second session gets the very document the first one parsed: nothing is read again.
    again = second.get_service_model("cloudtrail")
    # _service_description is botocore's private parsed document, which its stubs leave out.
    assert again._service_description is model._service_description  # type: ignore[attr-defined]


def test_the_factory_and_the_simulation_builder_share_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("AWS_DATA_PATH", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    loader = shared_loader(None)
    factory = SessionFactory()
    assert factory._session.get_component("data_loader") is loader
    client = Boto3ClientMaker()("s3", "us-east-1", None)
    assert client._loader is loader


def test_a_data_path_gets_a_loader_of_its_own(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AWS_DATA_PATH", f"{tmp_path}{os.pathsep}~/models")
    loader = new_session().get_component("data_loader")
    assert loader is not shared_loader(None)
    assert isinstance(loader, Loader)
    # Searched first, as botocore's own create_loader does, with ~ expanded.
    assert loader.search_paths[:2] == [str(tmp_path), os.path.expanduser("~/models")]


def test_threads_loading_one_model_at_once_get_one_document(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A data path of its own: a loader no other test has filled yet.
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
    sessions = [new_session() for _ in range(8)]
    with ThreadPoolExecutor(8) as pool:
        models = list(pool.map(lambda session: session.get_service_model("s3"), sessions))
    assert len({id(model._service_description) for model in models}) == 1


def test_a_missing_profile_is_left_for_the_first_client_to_report(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    session = new_session()  # does not raise here: SessionFactory.identify() reports it
    with pytest.raises(ProfileNotFound):
        session.create_client("sts", region_name="us-east-1")
