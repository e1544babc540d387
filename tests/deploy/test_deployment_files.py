"""The deployment files say what docs/reliability.md promises: fsync before ack, R3, probes, PDBs.

`docker compose config` and `kubectl kustomize` render the files when those tools work here;
the structural checks below run everywhere (PyYAML), since no Docker engine is needed to read.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sportello_devstack.cluster import DEFAULT_NODES, NatsCluster, node_config, node_name
from sportello_devstack.natsserver import nats_server_binary

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SERVICES = ("intake", "routing", "sla", "notify")
PORTS = {"intake": 8001, "routing": 8002, "sla": 8003, "notify": 8004, "console": 8000,
         "public": 8005}  # fmt: skip


def yaml_documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def k8s_objects() -> list[dict[str, Any]]:
    kustomization = yaml_documents(DEPLOY / "k8s" / "kustomization.yaml")[0]
    return [
        doc for name in kustomization["resources"] for doc in yaml_documents(DEPLOY / "k8s" / name)
    ]


def jetstream_block(config: str) -> str:
    match = re.search(r"jetstream\s*\{(.*?)\}", config, re.DOTALL)
    assert match, "no jetstream block"
    return match.group(1)


# -- NATS ---------------------------------------------------------------------------------------


# Every server config we ship that enables JetStream (account files and the like have none).
JETSTREAM_CONFIGS = sorted(
    path
    for path in (DEPLOY / "nats").rglob("*.conf")
    if re.search(r"^jetstream\s*\{", path.read_text(), re.MULTILINE)
)
CLUSTER_CONFIGS = sorted((DEPLOY / "nats" / "cluster").glob("*.conf"))


@pytest.mark.parametrize("config", JETSTREAM_CONFIGS, ids=lambda p: p.name)
def test_every_jetstream_config_fsyncs_before_acknowledging(config: Path) -> None:
    block = jetstream_block(config.read_text(encoding="utf-8"))
    assert re.search(r"^\s*sync_interval:\s*always\s*$", block, re.MULTILINE), config


@pytest.mark.parametrize("config", CLUSTER_CONFIGS, ids=lambda p: p.name)
def test_nats_server_accepts_every_cluster_config(config: Path) -> None:
    # compose.conf includes accounts.conf, whose passwords come from the environment
    accounts = (DEPLOY / "nats" / "accounts.conf").read_text(encoding="utf-8")
    passwords = dict.fromkeys(re.findall(r"\$(SPORTELLO_NATS_\w+)", accounts), "s0123456789")
    result = subprocess.run(
        [nats_server_binary(), "-t", "-c", str(config)],
        env={"SERVER_NAME": "nats-1", **passwords},  # compose.conf takes it from the container
        capture_output=True,
        text=True,
        timeout=30,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_loopback_cluster_files_are_what_the_devstack_renders() -> None:
    for index in range(3):
        name = node_name(index)
        expected = node_config(index, DEFAULT_NODES, f".data/cluster/nats/{name}")
        assert (DEPLOY / "nats" / "cluster" / f"{name}.conf").read_text() == expected


def test_the_three_nodes_form_one_cluster_with_distinct_names_and_stores() -> None:
    configs = [(DEPLOY / "nats" / "cluster" / f"{node_name(i)}.conf").read_text() for i in range(3)]
    names = {re.search(r"server_name:\s*(\S+)", c).group(1) for c in configs}  # type: ignore[union-attr]
    stores = {re.search(r"store_dir:\s*(\S+)", c).group(1) for c in configs}  # type: ignore[union-attr]
    clusters = {re.search(r"cluster\s*\{\s*name:\s*(\S+)", c).group(1) for c in configs}  # type: ignore[union-attr]
    assert len(names) == len(stores) == 3
    assert len(clusters) == 1
    for config in configs:
        for node in DEFAULT_NODES:
            assert f"nats-route://127.0.0.1:{node.route}" in config


def test_a_rendered_cluster_elects_a_leader_and_syncs_always(tmp_path: Path) -> None:
    cluster = NatsCluster.on_free_ports(tmp_path).start()
    try:
        for node in cluster.nodes:
            report = node.jsz()
            assert report["config"]["sync_always"] is True, report["config"]
            assert node.meta_leader() in {n.name for n in cluster.nodes}
            varz = httpx.get(f"http://127.0.0.1:{node.ports.monitor}/varz", timeout=2).json()
            assert varz["cluster"]["name"] == "sportello"
    finally:
        cluster.stop()


# -- containers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("service", (*SERVICES, "console", "public"))
def test_each_service_image_is_slim_non_root_and_checks_its_health(service: str) -> None:
    dockerfile = (ROOT / "services" / f"{service}-svc" / "Dockerfile").read_text()
    bases = re.findall(r"^FROM\s+(\S+)", dockerfile, re.MULTILINE)
    assert bases and all("slim" in base for base in bases), bases
    users = re.findall(r"^USER\s+(\S+)", dockerfile, re.MULTILINE)
    assert users and users[-1] not in ("0", "root"), users
    assert re.search(r"^HEALTHCHECK .*", dockerfile, re.MULTILINE | re.DOTALL)
    assert "/healthz" in dockerfile.split("HEALTHCHECK", 1)[1]
    assert "requirements.lock" in dockerfile and "--require-hashes" in dockerfile
    # the workspace packages go in with --no-deps: sportello-shared's own workspace dependency too
    assert "COPY contracts/ contracts/" in dockerfile and "./contracts ./shared" in dockerfile
    script = f"sportello-{service}"
    pyproject = tomllib.loads((ROOT / "services" / f"{service}-svc" / "pyproject.toml").read_text())
    assert script in pyproject["project"]["scripts"]
    assert dockerfile.rstrip().endswith(f'CMD ["{script}"]')
    assert f"HTTP_PORT={PORTS[service]}" in dockerfile


def test_compose_runs_three_nats_nodes_postgres_the_services_and_a_mail_sink() -> None:
    compose = yaml_documents(DEPLOY / "compose.yaml")[0]
    services = compose["services"]
    nats_nodes = [
        name for name, s in services.items() if str(s.get("image", "")).startswith("nats")
    ]
    assert len(nats_nodes) == 3
    for name in nats_nodes:
        mounts = " ".join(services[name]["volumes"])
        assert "nats/cluster/compose.conf" in mounts
        assert services[name]["environment"]["SERVER_NAME"] == name
    assert "synchronous_commit=on" in services["postgres"]["command"]
    assert "mailsink" in services
    for service in SERVICES:
        spec = services[service]
        env = spec["environment"]
        assert (ROOT / spec["build"]["dockerfile"]).exists()
        assert {f"nats://{n}:4222" for n in nats_nodes} == set(env["NATS_URL"].split(","))
        assert env["STREAM_REPLICAS"] == "3"
        assert env["DATABASE_URL"].startswith("postgresql://")
        assert env["HTTP_PORT"] == str(PORTS[service])
        assert spec["deploy"]["replicas"] >= 2
        assert spec["depends_on"]["postgres"]["condition"] == "service_healthy"
        # its own NATS user, with its own password only (deploy/nats/accounts.conf)
        assert env["NATS_USER"] == service
        assert f"SPORTELLO_NATS_PASSWORD_{service.upper()}" in env["NATS_PASSWORD"]


def test_compose_and_kubernetes_run_the_citizens_site_with_its_own_key_only() -> None:
    public = yaml_documents(DEPLOY / "compose.yaml")[0]["services"]["public"]
    env = public["environment"]
    assert (ROOT / public["build"]["dockerfile"]).exists() and env["HTTP_PORT"] == "8005"
    assert env["PUBLIC_SITE_KEYS_FILE"].startswith("/run/secrets/")
    assert not {"OIDC_CLIENT_SECRET", "CONSOLE_SESSION_SECRET"} & set(env)
    (deployment,) = [
        o for o in k8s_objects() if o["kind"] == "Deployment" and o["metadata"]["name"] == "public"
    ]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    names = {e["name"]: e.get("value") for e in container["env"]}
    assert names["PUBLIC_SECURE_COOKIES"] == "true" and names["HTTP_PORT"] == "8005"
    assert names["PUBLIC_SITE_URL"].startswith("https://")
    secrets = {o["metadata"]["name"] for o in k8s_objects() if o["kind"] == "Secret"}
    assert "sportello-public-site-keys" in secrets


def test_docker_compose_renders_the_file_when_available() -> None:
    docker = shutil.which("docker")
    probe = docker and subprocess.run([docker, "compose", "version"], capture_output=True)
    if not probe or probe.returncode != 0:
        pytest.skip("no `docker compose` here; the structural check above still ran")
    result = subprocess.run(
        [docker, "compose", "-f", str(DEPLOY / "compose.yaml"), "config", "--quiet"],  # type: ignore[list-item]
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


# -- Kubernetes ---------------------------------------------------------------------------------


def test_every_deployment_is_probed_on_readyz_and_healthz() -> None:
    deployments = [o for o in k8s_objects() if o["kind"] == "Deployment"]
    assert {d["metadata"]["name"] for d in deployments} == {*SERVICES, "console", "public"}
    for deployment in deployments:
        pod = deployment["spec"]["template"]["spec"]
        for container in pod["containers"]:
            ports = {p["name"] for p in container["ports"]}
            readiness = container["readinessProbe"]["httpGet"]
            liveness = container["livenessProbe"]["httpGet"]
            assert readiness["path"] == "/readyz" and readiness["port"] in ports
            assert liveness["path"] == "/healthz" and liveness["port"] in ports
            sources = {next(iter(ref.values()))["name"] for ref in container["envFrom"]}
            assert sources == {"sportello-config", "sportello-secrets"}
            assert container["securityContext"]["allowPrivilegeEscalation"] is False
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert deployment["spec"]["replicas"] >= 2


def test_every_deployment_has_a_disruption_budget_that_keeps_a_replica() -> None:
    objects = k8s_objects()
    budgets = {
        o["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"]: o["spec"]
        for o in objects
        if o["kind"] == "PodDisruptionBudget"
    }
    for deployment in (o for o in objects if o["kind"] == "Deployment"):
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        budget = budgets[labels["app.kubernetes.io/name"]]
        assert 1 <= budget["minAvailable"] < deployment["spec"]["replicas"]


def test_the_config_map_and_secret_the_deployments_read_exist() -> None:
    objects = {(o["kind"], o["metadata"]["name"]): o for o in k8s_objects()}
    config = objects[("ConfigMap", "sportello-config")]["data"]
    assert config["STREAM_REPLICAS"] == "3"
    assert len(config["NATS_URL"].split(",")) == 3
    secret = objects[("Secret", "sportello-secrets")]["stringData"]
    assert secret["DATABASE_URL"].startswith("postgresql://")


def test_kubectl_renders_the_kustomization_when_available() -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("no kubectl here; the structural checks above still ran")
    result = subprocess.run(
        [kubectl, "kustomize", str(DEPLOY / "k8s")], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    kinds = [doc["kind"] for doc in yaml.safe_load_all(result.stdout) if doc]
    assert (
        kinds.count("Deployment") == kinds.count("PodDisruptionBudget") == len(SERVICES) + 2
    )  # + the console


def test_the_nats_chart_values_ask_for_three_jetstream_nodes_that_sync_always() -> None:
    values = yaml_documents(DEPLOY / "k8s" / "nats-values.yaml")[0]["config"]
    assert values["cluster"] == {"enabled": True, "replicas": 3}
    assert values["jetstream"]["enabled"] is True
    assert values["jetstream"]["fileStore"]["enabled"] is True
    assert values["jetstream"]["fileStore"]["pvc"]["enabled"] is True
    assert values["jetstream"]["merge"]["sync_interval"] == "always"


def test_make_has_the_cluster_and_fault_targets() -> None:
    makefile = (ROOT / "Makefile").read_text()
    for target in ("cluster", "cluster-down", "test-faults"):
        assert re.search(rf"^{re.escape(target)}:", makefile, re.MULTILINE), target


def test_each_service_connects_to_nats_as_its_own_user_everywhere() -> None:
    """deploy/nats/accounts.conf has a user per service; compose.conf loads it; each k8s
    Deployment names its own user and takes its own password only."""
    accounts = (DEPLOY / "nats" / "accounts.conf").read_text(encoding="utf-8")
    assert "include ../accounts.conf" in (DEPLOY / "nats" / "cluster" / "compose.conf").read_text()
    for name in (*SERVICES, "console"):
        assert f'user: "{name}"' in accounts
        (deployment,) = [
            o for o in k8s_objects() if o["kind"] == "Deployment" and o["metadata"]["name"] == name
        ]
        env = {e["name"]: e for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert env["NATS_USER"]["value"] == name
        ref = env["NATS_PASSWORD"]["valueFrom"]["secretKeyRef"]
        assert (ref["name"], ref["key"]) == ("sportello-nats-users", name)
