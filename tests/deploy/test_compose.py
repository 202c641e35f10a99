"""docker-compose.yml read as data: start-up order, health checks, secrets and versions wired up.

There is no Docker engine here; `docker-compose config` (Debian's package) validates the file
when it is installed, and the TF Serving health check script runs against a fake TF Serving.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from deploy_support import DEPLOY, load_deploy_module, require_program
from doubles import FakeAI, FakeServing, ServerThread
from support import REPO_ROOT

COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
ONE_SHOT = {"volumes-init", "trainer"}  # run to completion; everything else stays up
REQUIRED = re.compile(r"\$\{(\w+):\?")  # ${NAME:?message}: compose refuses to start without it
REQUIRED_NAMES = set(REQUIRED.findall(COMPOSE_FILE.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


def seconds(duration: str) -> float:
    """A compose duration such as "60s" or "1m30s" in seconds."""
    parts = re.fullmatch(r"(?:(\d+)m)?(?:(\d+)s)?", duration)
    assert parts and duration, f"not a duration: {duration!r}"
    return 60 * int(parts.group(1) or 0) + int(parts.group(2) or 0)


def test_every_long_running_service_has_a_health_check(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        if name in ONE_SHOT:
            continue
        assert name == "nginx" or service.get("healthcheck", {}).get("test"), name
        assert service.get("restart") == "unless-stopped", name


def test_start_up_order_waits_for_healthy_dependencies(compose: dict[str, Any]) -> None:
    services = compose["services"]
    healthy = {"condition": "service_healthy"}
    assert services["web"]["depends_on"] == dict.fromkeys(
        ["postgres", "redis", "tf-serving", "explainer"], healthy
    )
    assert services["nginx"]["depends_on"] == {"web": healthy}
    done = {"volumes-init": {"condition": "service_completed_successfully"}}
    assert services["trainer"]["depends_on"] == done
    assert services["explainer"]["depends_on"] == done


def test_the_web_check_is_healthz_and_tf_serving_checks_every_model(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    check = services["tf-serving"]["healthcheck"]["test"]
    assert check == ["CMD", "bash", "/etc/tf-serving/healthcheck.sh"]
    assert "./deploy/tf-serving:/etc/tf-serving:ro" in services["tf-serving"]["volumes"]
    assert (
        "--monitoring_config_file=/etc/tf-serving/monitoring.config"
        in (services["tf-serving"]["command"])
    )
    monitoring = (DEPLOY / "tf-serving" / "monitoring.config").read_text(encoding="utf-8")
    assert "enable: true" in monitoring and '"/monitoring/prometheus/metrics"' in monitoring


def test_secrets_come_from_env_and_reach_their_users(compose: dict[str, Any]) -> None:
    services = compose["services"]
    web = services["web"]["environment"]
    assert web["CARGAME_WEB_SECRET_KEY"].startswith("${CARGAME_WEB_SECRET_KEY:?")
    assert re.fullmatch(
        r"postgresql\+psycopg://cargame:\$\{POSTGRES_PASSWORD:\?[^}]*\}@postgres:5432/cargame"
        r"\?connect_timeout=\d+",
        web["CARGAME_DATABASE_URL"],
    )
    postgres = services["postgres"]["environment"]
    assert (postgres["POSTGRES_USER"], postgres["POSTGRES_DB"]) == ("cargame", "cargame")
    assert re.fullmatch(
        r"redis://:\$\{REDIS_PASSWORD:\?[^}]*\}@redis:6379/0", web["CARGAME_WEB_REDIS_URL"]
    )
    redis_command = " ".join(services["redis"]["command"])
    assert '--requirepass "$$REDIS_PASSWORD"' in redis_command
    assert "--maxmemory-policy volatile-lru" in redis_command  # only keys with a TTL go
    assert re.search(r"--maxmemory \S+", redis_command)


def test_init_env_writes_every_required_variable_once(tmp_path: Path) -> None:
    target = tmp_path / ".env"
    subprocess.run([str(DEPLOY / "init-env"), str(target)], check=True, capture_output=True)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    values = dict(
        line.split("=", 1)
        for line in target.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    )
    assert set(values) == REQUIRED_NAMES
    generated = [values[name] for name in ("POSTGRES_PASSWORD", "REDIS_PASSWORD")]
    generated.append(values["CARGAME_WEB_SECRET_KEY"])
    # 256 random bits each, in hex: safe inside the URLs compose builds from them.
    assert len(set(generated)) == 3
    assert all(re.fullmatch(r"[0-9a-f]{64}", value) for value in generated)
    # A trial certificate where .env points nginx, beside the .env file.
    certificate = tmp_path / values["TLS_CERTIFICATE"]
    assert certificate.read_text(encoding="ascii").startswith("-----BEGIN CERTIFICATE-----")
    before = target.read_bytes()
    subprocess.run([str(DEPLOY / "init-env"), str(target)], check=True, capture_output=True)
    assert target.read_bytes() == before  # never overwritten


def test_containers_run_as_10001_on_volumes_made_theirs(compose: dict[str, Any]) -> None:
    services = compose["services"]
    init = services["volumes-init"]
    assert init["user"] == "0:0" and init["command"][:2] == ["chown", "10001:10001"]
    owned = set(init["command"][2:])
    for name in ("trainer", "explainer"):
        for volume in services[name]["volumes"]:
            source, target = volume.split(":")[:2]
            assert target in owned, f"{name} writes {target}, which nobody makes writable"
    for dockerfile in ("Dockerfile", "model_service/Dockerfile"):
        text = (REPO_ROOT / dockerfile).read_text(encoding="utf-8")
        assert "--uid 10001" in text and "\nUSER cargame\n" in text


def test_tf_serving_is_the_tensorflow_version_that_exports_the_model(
    compose: dict[str, Any],
) -> None:
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pins = [
        requirement
        for requirement in pyproject["project"]["optional-dependencies"]["model"]
        if requirement.startswith("tensorflow")
    ]
    assert len(pins) == 1 and re.fullmatch(r"tensorflow(-cpu)?==\d+\.\d+\.\d+", pins[0]), pins
    exporter = pins[0].split("==")[1]
    image = compose["services"]["tf-serving"]["image"]
    assert image.startswith("tensorflow/serving:")
    server = image.split(":")[1]
    # TF Serving must be the same minor version (or newer) as the TensorFlow of the export;
    # both are pinned to the same release.
    assert server.split(".")[:2] == exporter.split(".")[:2], (image, pins[0])
    assert server == exporter


def test_graceful_stop_fits_in_the_stop_grace_period(compose: dict[str, Any]) -> None:
    gunicorn = load_deploy_module("gunicorn_conf_for_compose", DEPLOY / "gunicorn.conf.py")
    grace = seconds(compose["services"]["web"]["stop_grace_period"])
    assert gunicorn.GAME_START_SECONDS < gunicorn.graceful_timeout < grace


def test_docker_compose_config_accepts_the_file(tmp_path: Path) -> None:
    binary = require_program("docker-compose", "apt-get install docker-compose")
    environment = {
        **os.environ,
        "POSTGRES_PASSWORD": "p" * 64,
        "REDIS_PASSWORD": "r" * 64,
        "CARGAME_WEB_SECRET_KEY": "s" * 64,
        "TLS_CERTIFICATE": str(tmp_path / "fullchain.pem"),
        "TLS_CERTIFICATE_KEY": str(tmp_path / "privkey.pem"),
    }
    result = subprocess.run(
        [binary, "-f", str(COMPOSE_FILE), "--profile", "tools", "config"],
        env=environment,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    resolved = yaml.safe_load(result.stdout)
    assert set(resolved["services"]) == {
        "volumes-init",
        "trainer",
        "tf-serving",
        "explainer",
        "web",
        "nginx",
        "redis",
        "postgres",
    }
    assert "r" * 64 in resolved["services"]["web"]["environment"]["CARGAME_WEB_REDIS_URL"]
    # Without the .env values compose refuses to start and says what to run.
    bare = {key: value for key, value in environment.items() if key not in REQUIRED_NAMES}
    refused = subprocess.run(
        [binary, "-f", str(COMPOSE_FILE), "config"], env=bare, capture_output=True, text=True
    )
    assert refused.returncode != 0 and "deploy/init-env" in refused.stderr


def run_health_check(port: int, models_config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(DEPLOY / "tf-serving" / "healthcheck.sh"), str(models_config), str(port)],
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_tf_serving_check_needs_every_servable_available(tmp_path: Path) -> None:
    fake = FakeServing(FakeAI(["A/B"], lambda photo: [1.0]), versions={1: "AVAILABLE"})
    with ServerThread(fake.app) as server:
        port = int(server.url.rsplit(":", 1)[1])
        models_config = DEPLOY / "tf-serving" / "models.config"
        assert run_health_check(port, models_config).returncode == 0
        asked = [request.path for request in fake.requests]
        assert asked == ["/v1/models/cars", "/v1/models/cars-pro", "/v1/models/cars-rookie"]
        fake.versions = {1: "LOADING"}
        loading = run_health_check(port, models_config)
        assert loading.returncode == 1 and "cars has no AVAILABLE version" in loading.stderr
    assert run_health_check(port, models_config).returncode != 0  # nothing listening
