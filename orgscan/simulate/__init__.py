"""A simulated AWS Organization built in moto: behind ``orgscan demo``, the tests and the benchmark.

``build_demo_org`` builds a small organization where every account shows one case the scanner
must get right; ``build_scale_org`` builds a large seeded one. Both return a ``SimulatedOrg`` that
says which trails a full scan must report and with which reason code. They work in-process under
``demo_mock()`` (moto's ``mock_aws``) and against a moto server named by ``AWS_ENDPOINT_URL``.

    with demo_mock():
        org = build_demo_org()
        ...  # scan, then compare with org.expected_reasons
"""

from __future__ import annotations

from collections.abc import Sequence

from orgscan.simulate.build import (
    MOTO_DEFAULT_ACCOUNT_ID,
    Boto3ClientMaker,
    ClientMaker,
    Credentials,
    materialise,
)
from orgscan.simulate.demo import DEMO_POLICY, DEMO_REGIONS, demo_spec, drifted
from orgscan.simulate.mock import DEMO_SEED, demo_mock, reset_moto_server, seed_moto
from orgscan.simulate.scale import DEFAULT_REGIONS, scale_spec
from orgscan.simulate.spec import SimulatedOrg, SimulatedTrail

__all__ = [
    "DEFAULT_REGIONS",
    "DEMO_POLICY",
    "DEMO_REGIONS",
    "DEMO_SEED",
    "MOTO_DEFAULT_ACCOUNT_ID",
    "Boto3ClientMaker",
    "ClientMaker",
    "Credentials",
    "SimulatedOrg",
    "SimulatedTrail",
    "build_demo_org",
    "build_scale_org",
    "demo_mock",
    "reset_moto_server",
    "seed_moto",
]


def build_demo_org(
    *, drift: bool = False, clients: ClientMaker | None = None, seed: int | None = DEMO_SEED
) -> SimulatedOrg:
    """Build the demo organization in moto (into a fresh mock or server) and describe it.

    ``drift=True`` builds it as it looks after a few realistic changes (see ``demo.drifted``);
    account ids stay the same, so a normal and a drifted run can be diffed. ``seed`` reseeds
    moto's random generator first (the server at ``AWS_ENDPOINT_URL`` when set); None leaves it
    to the caller, e.g. when ``clients`` reach a server some other way.
    """
    spec = demo_spec()
    if drift:
        spec = drifted(spec)
    if seed is not None:
        seed_moto(seed)
    return materialise(spec, clients)


def build_scale_org(
    n_accounts: int,
    *,
    regions: Sequence[str] = DEFAULT_REGIONS,
    trails_per_account: tuple[int, int] = (1, 3),
    central_share: float = 0.4,
    seed: int = 0,
    clients: ClientMaker | None = None,
) -> SimulatedOrg:
    """Build a seeded organization of ``n_accounts`` workload accounts in moto and describe it.

    The same arguments give the same organization (moto is seeded with ``seed`` too).
    """
    spec = scale_spec(
        n_accounts,
        regions=regions,
        trails_per_account=trails_per_account,
        central_share=central_share,
        seed=seed,
    )
    seed_moto(seed)
    return materialise(spec, clients)
