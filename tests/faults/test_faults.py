"""Faults on the production topology: 3 NATS nodes (R3, fsync always), PostgreSQL, 3 replicas.

Every scenario ends with the same verdict: zero acknowledged cases lost, zero double effects.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import nats
import pytest
from sportello_devstack.cluster import Cluster, NatsNode
from sportello_devstack.stack import SERVICES

from .conftest import (
    Load,
    assert_nothing_lost,
    calibrate,
    cases_per_run,
    fault_random,
    restart,
    run_scenario,
    running_cluster,
    wait_until,
)

pytestmark = [pytest.mark.faults, pytest.mark.e2e, pytest.mark.timeout(900)]
REPLICAS = 3
_yardstick: dict[int, int] = {}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[Cluster]:
    with running_cluster(tmp_path_factory.mktemp("cluster"), database_url, REPLICAS) as running:
        yield running


async def mails_per_case(cluster: Cluster) -> int:
    if id(cluster) not in _yardstick:
        _yardstick[id(cluster)] = await calibrate(cluster)
    return _yardstick[id(cluster)]


async def test_sigkill_of_every_replica_of_every_service(cluster: Cluster) -> None:
    """Rolling SIGKILLs at random moments: relay and dispatcher leases move, work is redone once."""
    rng = fault_random("sigkill")

    async def kill_every_replica(load: Load) -> list[str]:
        log = []
        await wait_until(load, 0.05)
        for service in rng.sample(SERVICES, len(SERVICES)):
            for replica in rng.sample(cluster.members[service], REPLICAS):
                await asyncio.sleep(rng.uniform(0.5, 2.5))
                cluster.kill(replica)
                log.append(f"SIGKILL {replica.name} at {len(load.acknowledged)} acks")
                await asyncio.sleep(rng.uniform(0.2, 1.0))
                await restart(cluster, replica)
        return log

    expected = await mails_per_case(cluster)
    report = await run_scenario(
        cluster, "sigkill", cases_per_run(600), kill_every_replica, expected
    )
    assert_nothing_lost(report)


async def test_sigkill_of_the_cases_stream_leader(cluster: Cluster) -> None:
    """The CASES leader dies mid-run: a new one is elected and relays publish again within 10 s."""
    resumed_after: list[float] = []

    async def kill_the_leader(load: Load) -> list[str]:
        await wait_until(load, 0.3)
        leader_name = cluster.nats.stream_leader("CASES")
        assert leader_name is not None
        leader = cluster.nats.node(leader_name)
        survivors = [node for node in cluster.nats.nodes if node is not leader]
        before = await last_sequence(survivors)
        assert before > 0
        leader.kill()
        killed_at = time.monotonic()
        while await last_sequence(survivors) <= before:
            assert time.monotonic() - killed_at < 60, "CASES never accepted a publish again"
            await asyncio.sleep(0.1)
        resumed_after.append(time.monotonic() - killed_at)
        new_leader = cluster.nats.stream_leader("CASES")
        await asyncio.sleep(3.0)
        leader.start()  # the killed node comes back and catches up from its peers
        await asyncio.to_thread(cluster.nats.wait_healthy, 60.0, [leader])
        return [
            f"SIGKILL NATS {leader_name} (CASES leader) at {len(load.acknowledged)} acks",
            f"new leader {new_leader}, publishing resumed after {resumed_after[0]:.1f}s",
            f"{leader_name} restarted and healthy",
        ]

    expected = await mails_per_case(cluster)
    report = await run_scenario(
        cluster, "stream-leader", cases_per_run(600), kill_the_leader, expected
    )
    report.extra["resumed_after_s"] = round(resumed_after[0], 1)
    assert_nothing_lost(report)
    assert resumed_after[0] <= 10.0, report.line()


async def test_network_cut_between_services_and_nats(cluster: Cluster) -> None:
    """SIGSTOP freezes a NATS node (its clients' connections go silent) and then one replica of
    each service (its NATS and HTTP connections go silent); after SIGCONT everything catches up."""
    rng = fault_random("network-cut")

    async def cut(load: Load) -> list[str]:
        log = []
        await wait_until(load, 0.1)
        node = rng.choice(cluster.nats.nodes)
        node.pause()
        await asyncio.sleep(6.0)
        node.resume()
        log.append(f"SIGSTOP NATS {node.name} 6s at {len(load.acknowledged)} acks")
        for service in rng.sample(SERVICES, len(SERVICES)):
            replica = rng.choice(cluster.members[service])
            await asyncio.sleep(rng.uniform(0.5, 2.0))
            cluster.pause(replica)
            pause = rng.uniform(4.0, 8.0)
            await asyncio.sleep(pause)
            cluster.resume(replica)
            log.append(f"SIGSTOP {replica.name} {pause:.1f}s at {len(load.acknowledged)} acks")
        return log

    expected = await mails_per_case(cluster)
    report = await run_scenario(cluster, "network-cut", cases_per_run(600), cut, expected)
    assert_nothing_lost(report)


async def last_sequence(nodes: list[NatsNode]) -> int:
    nc = await nats.connect(servers=[n.url for n in nodes], connect_timeout=2)
    try:
        info = await nc.jetstream(timeout=2).stream_info("CASES")
        return int(info.state.last_seq)
    except (nats.errors.Error, TimeoutError):
        return -1
    finally:
        await nc.close()


async def test_the_whole_nats_cluster_down_for_15_seconds(cluster: Cluster) -> None:
    """Every NATS node stopped for 15 s (issue 25): intake keeps registering (its relay waits),
    no request answers 500, and every case goes all the way through once NATS is back."""

    async def stop_nats(load: Load) -> list[str]:
        await wait_until(load, 0.3)
        at = len(load.acknowledged)
        for node in cluster.nats.nodes:
            await asyncio.to_thread(node.stop)
        await asyncio.sleep(15.0)
        for node in cluster.nats.nodes:
            node.start()
        await asyncio.to_thread(cluster.nats.wait_healthy, 60.0)
        return [f"all {len(cluster.nats.nodes)} NATS nodes stopped 15 s at {at} acks"]

    expected = await mails_per_case(cluster)
    report = await run_scenario(cluster, "nats-down", cases_per_run(600), stop_nats, expected)
    assert_nothing_lost(report)
    assert "500" not in report.refused, report.line()
