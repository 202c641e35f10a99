"""The scaled topology of docker-compose.yml as local processes, without Docker.

    .venv/bin/python deploy/cluster.py          # then open https://127.0.0.1:8443/

nginx (TLS, a self-signed certificate) in front of two gunicorn instances of the web app
(production profile, gthread), the local TF-Serving-compatible model server, two explainer
replicas sharing one heatmap cache, this machine's Redis and PostgreSQL (its own database,
`cargame_cluster`, created when missing). One description starts them: deploy/Procfile.cluster,
run by honcho; Ctrl-C stops them all. Everything written goes to var/cluster/.

First the model is made ready as `cargame run` does (the demo garage, training and the opponent
levels when missing). Tests call `prepare()` and `command()` with their own ports and model.
"""

from __future__ import annotations

import argparse
import os
import secrets
import string
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from cargame.config import load_config

DEPLOY = Path(__file__).resolve().parent
ROOT = DEPLOY.parent
PROCFILE = DEPLOY / "Procfile.cluster"
NGINX_TEMPLATE = DEPLOY / "nginx" / "cluster.conf.template"
NGINX_FOLDERS = ("body", "proxy", "fastcgi", "uwsgi", "scgi", "cache")
MODELS_STEP = "prepare-models"  # the child process of prepare_models()


@dataclass
class Cluster:
    """Where the cluster keeps its files, its ports, and the services it uses."""

    folder: Path = ROOT / "var" / "cluster"
    https_port: int = 8443
    web_ports: tuple[int, int] = (8151, 8152)
    serving_port: int = 8601
    explainer_port: int = 5100  # nginx, in front of both replicas
    explainer_ports: tuple[int, int] = (5101, 5102)
    postgres: str = "postgresql+psycopg://postgres@127.0.0.1:5432"
    database: str = "cargame_cluster"
    redis_url: str = "redis://127.0.0.1:6379/13"
    models: Path = ROOT / "var" / "models"
    catalog: Path = ROOT / "var" / "catalogs" / "demo"
    model_name: str = "cars"
    workers: int = 2  # gunicorn workers per web instance (WEB_CONCURRENCY)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    @property
    def database_url(self) -> str:
        return f"{self.postgres}/{self.database}"

    @property
    def env_file(self) -> Path:
        return self.folder / "cluster.env"

    @property
    def certificate(self) -> Path:
        return self.folder / "tls" / "fullchain.pem"

    def pid_file(self, instance: int) -> Path:
        """gunicorn's pid file of web instance 1 or 2."""
        return self.folder / f"web-{instance}.pid"


def environment(cluster: Cluster) -> dict[str, str]:
    """What every process reads: the production profile, pointed at local processes."""
    return {
        "BIN": str(Path(sys.executable).parent),
        "CLUSTER_DIR": str(cluster.folder),
        "WEB_1_PORT": str(cluster.web_ports[0]),
        "WEB_2_PORT": str(cluster.web_ports[1]),
        "EXPLAINER_1_PORT": str(cluster.explainer_ports[0]),
        "EXPLAINER_2_PORT": str(cluster.explainer_ports[1]),
        "WEB_CONCURRENCY": str(cluster.workers),
        "PYTHONUNBUFFERED": "1",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "CARGAME_PROFILE": "production",
        "CARGAME_MODEL_NAME": cluster.model_name,
        "CARGAME_PATHS_VAR": str(cluster.folder / "var"),
        "CARGAME_PATHS_CACHE": str(cluster.folder / "cache"),  # the explainers' shared cache
        "CARGAME_PATHS_MODELS": str(cluster.models),
        "CARGAME_PATHS_CATALOG": str(cluster.catalog),
        "CARGAME_SERVING_URL": f"http://127.0.0.1:{cluster.serving_port}",
        "CARGAME_EXPLAINER_URL": f"http://127.0.0.1:{cluster.explainer_port}",
        "CARGAME_EXPLAINER_HOST": "127.0.0.1",
        "CARGAME_WEB_HOST": "127.0.0.1",
        "CARGAME_WEB_SECRET_KEY": _kept_secret(cluster.folder / "secret_key"),
        "CARGAME_WEB_REDIS_URL": cluster.redis_url,
        "CARGAME_DATABASE_URL": cluster.database_url,
    }


def _kept_secret(path: Path) -> str:
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_hex(32), encoding="utf-8")
    return path.read_text(encoding="utf-8").strip()


def write_env_file(cluster: Cluster) -> Path:
    """honcho's environment file (mode 0600: it holds the secret key)."""
    lines = [f"{name}={value}" for name, value in environment(cluster).items()]
    cluster.env_file.touch(mode=0o600)
    cluster.env_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return cluster.env_file


def write_nginx_conf(cluster: Cluster) -> Path:
    """nginx.conf from deploy/nginx/cluster.conf.template, and the folders nginx writes."""
    for name in NGINX_FOLDERS:
        (cluster.folder / "nginx" / name).mkdir(parents=True, exist_ok=True)
    template = string.Template(NGINX_TEMPLATE.read_text(encoding="utf-8"))
    # safe_substitute: nginx's own $variables stay as they are.
    text = template.safe_substitute(
        # As root, nginx would hand its workers to `nobody`, who cannot write the cache here.
        user_directive="user root;" if os.geteuid() == 0 else "",
        cluster_dir=cluster.folder,
        deploy_dir=DEPLOY,
        https_port=cluster.https_port,
        web_1_port=cluster.web_ports[0],
        web_2_port=cluster.web_ports[1],
        explainer_port=cluster.explainer_port,
        explainer_1_port=cluster.explainer_ports[0],
        explainer_2_port=cluster.explainer_ports[1],
    )
    path = cluster.folder / "nginx.conf"
    path.write_text(text, encoding="utf-8")
    return path


def ensure_certificate(cluster: Cluster) -> None:
    """A self-signed certificate for 127.0.0.1 and localhost, made once."""
    if not cluster.certificate.is_file():
        subprocess.run(
            [str(DEPLOY / "self-signed-cert"), "localhost", str(cluster.certificate.parent)],
            check=True,
        )


def ensure_database(cluster: Cluster) -> None:
    """The cluster's own PostgreSQL database; the web instances migrate it when they start."""
    maintenance = cluster.postgres.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(maintenance, autocommit=True) as connection:
        found = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (cluster.database,)
        ).fetchone()
        if not found:
            connection.execute(
                sql.SQL("CREATE DATABASE {}").format(sql.Identifier(cluster.database))
            )


def prepare_models(cluster: Cluster) -> None:
    """The demo garage, the trained model and its levels when missing, as `cargame run` does.

    In a child process: the runner reads the cluster's settings from its environment.
    """
    subprocess.run(
        [sys.executable, __file__, MODELS_STEP],
        env={**os.environ, **environment(cluster)},
        check=True,
    )


def _models_step() -> None:
    from cargame import runner

    try:
        runner.prepare(load_config(), progress=lambda line: print(line, file=sys.stderr))
    except runner.StartupError as error:
        sys.exit(f"cargame cluster: {error}")


def prepare(cluster: Cluster, models: bool = True) -> None:
    """Everything the processes need before they start."""
    cluster.folder.mkdir(parents=True, exist_ok=True)
    ensure_certificate(cluster)
    ensure_database(cluster)
    write_env_file(cluster)
    write_nginx_conf(cluster)
    if models:
        prepare_models(cluster)


def command(cluster: Cluster) -> list[str]:
    """honcho running deploy/Procfile.cluster with the cluster's environment file."""
    honcho = str(Path(sys.executable).parent / "honcho")
    return [honcho, "start", "-f", str(PROCFILE), "-e", str(cluster.env_file), "-d", str(ROOT)]


def main(argv: list[str] | None = None) -> None:
    """Prepare, then replace this process with honcho (Ctrl-C stops every process)."""
    if argv is None and sys.argv[1:] == [MODELS_STEP]:
        _models_step()
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--https-port", type=int, default=Cluster.https_port)
    parser.add_argument("--workers", type=int, default=Cluster.workers)
    args = parser.parse_args(argv)
    # The model and catalog `scripts/run` uses (CARGAME_PATHS_CATALOG, CARGAME_MODEL_NAME, ...).
    local = load_config(profile="default")
    cluster = Cluster(
        https_port=args.https_port,
        workers=args.workers,
        models=local.path("models"),
        catalog=local.path("catalog"),
        model_name=str(local.get("model", "name")),
    )
    prepare(cluster)
    print(f"\ncargame cluster: open {cluster.url}  (Ctrl-C stops)\n", file=sys.stderr)
    os.execv(command(cluster)[0], command(cluster))


if __name__ == "__main__":
    main()
