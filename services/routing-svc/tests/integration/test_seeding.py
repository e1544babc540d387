"""Seeding from deploy/tenants is idempotent: restarts and replicas never add versions."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from sportello_routing.adapters.routing_yaml import seed_documents
from sportello_routing.application import RoutingApplication
from sportello_routing.domain import CaseFacts, Rule
from sportello_shared.persistence import ensure_schema, store_initialisation_lock
from sportello_shared.tenants import TenantCatalogue, load_tenants

from .conftest import TENANTS_DIR, settings_for


def open_application(store: dict[str, str], tenants_dir: Path = TENANTS_DIR) -> RoutingApplication:
    settings = settings_for(store, "nats://unused", tenants_dir)
    tenants = load_tenants(tenants_dir)
    # As the service opens its store (runtime.Runtime._open_store): replicas take turns,
    # because concurrent CREATE ... IF NOT EXISTS is not safe in PostgreSQL nor SQLite.
    with store_initialisation_lock(settings):
        ensure_schema(settings)
        application = RoutingApplication(tenants, env=settings.eventsourcing_env())
        application.seed(seed_documents(tenants_dir, tenants))
    return application


def versions(application: RoutingApplication, tenants: TenantCatalogue) -> dict[str, int]:
    return {t.id: application.ruleset(t.id).version for t in tenants}


def test_seeding_again_changes_nothing(store: dict[str, str]) -> None:
    first = open_application(store)
    events = first.recorder.max_notification_id()
    first.close()

    again = open_application(store)
    assert again.recorder.max_notification_id() == events
    assert set(versions(again, load_tenants(TENANTS_DIR)).values()) == {1}
    again.close()


def test_two_replicas_seeding_at_once_make_one_version(store: dict[str, str]) -> None:
    ready = threading.Barrier(2)
    opened: list[RoutingApplication] = []
    failures: list[BaseException] = []

    def replica() -> None:
        try:
            ready.wait()
            opened.append(open_application(store))
        except BaseException as exc:  # reported below: a thread's exception is otherwise lost
            failures.append(exc)

    threads = [threading.Thread(target=replica) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    tenants = load_tenants(TENANTS_DIR)
    for application in opened:
        assert set(versions(application, tenants).values()) == {1}
        application.close()


def test_a_changed_routing_yaml_is_published_once_as_the_next_version(
    store: dict[str, str], tmp_path: Path
) -> None:
    tenants_dir = tmp_path / "tenants"
    shutil.copytree(TENANTS_DIR, tenants_dir)
    open_application(store, tenants_dir).close()

    routing = tenants_dir / "pisa" / "routing.yaml"
    routing.write_text(
        routing.read_text().replace("keywords: [farmacia,", "keywords: [parafarmacia, farmacia,")
    )
    load_tenants.cache_clear()
    changed = open_application(store, tenants_dir)
    assert changed.ruleset("pisa").version == 2
    assert changed.ruleset("torino").version == 1
    changed.close()

    restarted = open_application(store, tenants_dir)
    assert restarted.ruleset("pisa").version == 2
    restarted.close()


def test_rules_changed_through_the_api_survive_a_restart_with_the_same_files(
    store: dict[str, str],
) -> None:
    application = open_application(store)
    current = application.ruleset("pisa").rules
    edited = current.model_copy(update={"rules": current.rules[1:] + current.rules[:1]})
    assert application.publish_rules("pisa", edited, "ops").version == 2
    application.close()

    restarted = open_application(store)
    assert restarted.ruleset("pisa").version == 2
    assert restarted.ruleset("pisa").rules == edited
    restarted.close()


def test_an_invalid_routing_yaml_stops_the_service_from_starting(
    store: dict[str, str], tmp_path: Path
) -> None:
    tenants_dir = tmp_path / "tenants"
    shutil.copytree(TENANTS_DIR, tenants_dir)
    routing = tenants_dir / "torino" / "routing.yaml"
    routing.write_text(routing.read_text().replace("pm-reparto-6", "pm-reparto-9"))
    load_tenants.cache_clear()
    with pytest.raises(ValueError, match=r"rules\.6\.organization: unknown organization"):
        open_application(store, tenants_dir)


def test_a_replica_decides_with_the_rules_another_replica_just_published(
    store: dict[str, str],
) -> None:
    one, other = open_application(store), open_application(store)
    facts = CaseFacts("pisa", "segnalazione", "web", "segnalazioni", "Il semaforo è guasto")
    assert one.explain(facts).decision.organization == "urp"

    current = other.ruleset("pisa").rules
    semafori = Rule(
        id="semafori", organization="pisamo", categories=("segnalazioni",), keywords=("semaforo",)
    )
    other.publish_rules(
        "pisa", current.model_copy(update={"rules": (semafori, *current.rules)}), "ops"
    )
    other.put_organization(
        "pisa",
        other.directory("pisa").organization("pisamo").model_copy(update={"name": "P"}),
        "ops",
    )

    decision = one.explain(facts).decision
    assert (decision.organization, decision.rule_id, decision.rule_version) == (
        "pisamo",
        "semafori",
        2,
    )
    assert decision.organization_name == "P"
    one.close()
    other.close()
