"""The nginx configurations pass `nginx -t` (Debian's nginx): compose's, with the shared
http.conf and server.conf, and the local cluster's, generated from its template."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from deploy_support import DEPLOY, load_deploy_module, require_program, self_signed

NGINX_DIR = DEPLOY / "nginx"


def nginx_version(nginx: str) -> tuple[int, ...]:
    banner = subprocess.run([nginx, "-v"], capture_output=True, text=True).stderr
    found = re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", banner)
    assert found, banner
    return tuple(int(part) for part in found.groups())


def check(nginx: str, prefix: Path, conf: Path) -> None:
    result = subprocess.run(
        [nginx, "-t", "-p", str(prefix), "-c", str(conf), "-e", "stderr"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_the_compose_nginx_config_is_valid(tmp_path: Path) -> None:
    nginx = require_program("nginx", "apt-get install nginx")
    certificate = self_signed(tmp_path / "tls")
    text = (NGINX_DIR / "docker.conf").read_text(encoding="utf-8")
    text = text.replace("/etc/nginx/cargame/", f"{NGINX_DIR}/")
    text = text.replace("/etc/nginx/tls/", f"{certificate.parent}/")
    text = text.replace("/var/cache/nginx/cargame", str(tmp_path / "cache"))
    if nginx_version(nginx) < (1, 25, 1):
        # The image is nginx 1.27; Debian 12's 1.22 predates the `http2` directive.
        text = text.replace("    http2 on;\n", "")
    (tmp_path / "default.conf").write_text(text, encoding="utf-8")
    main = tmp_path / "nginx.conf"
    main.write_text(
        f"pid {tmp_path}/nginx.pid;\nevents {{}}\n"
        f"http {{\n    include {tmp_path}/default.conf;\n}}\n",
        encoding="utf-8",
    )
    check(nginx, tmp_path, main)


def test_the_cluster_nginx_config_is_valid(tmp_path: Path) -> None:
    nginx = require_program("nginx", "apt-get install nginx")
    cluster_module = load_deploy_module("cluster_for_nginx", DEPLOY / "cluster.py")
    cluster = cluster_module.Cluster(folder=tmp_path)
    self_signed(tmp_path / "tls")
    conf = cluster_module.write_nginx_conf(cluster)
    text = conf.read_text(encoding="utf-8")
    assert "${" not in text, "a template field was left unfilled"
    assert f"server 127.0.0.1:{cluster.web_ports[1]} " in text
    check(nginx, tmp_path / "nginx", conf)


def test_fingerprinted_urls_are_the_ones_dash_and_the_app_write() -> None:
    http = (NGINX_DIR / "http.conf").read_text(encoding="utf-8")
    patterns = re.findall(r"^\s+~(\^\S+)\s+1;$", http, re.MULTILINE)
    assert len(patterns) == 2
    fingerprinted = [
        "/_dash-component-suites/dash/deps/react@18.v4_4_1m1754400000.3.1.min.js",
        "/_dash-component-suites/dash_bootstrap_components/_components/"
        "dash_bootstrap_components.v2_0_4m1754400000.min.js",
        "/assets/cargame.css?m=1754400000.0",
    ]
    plain = [
        "/_dash-component-suites/dash/dash-renderer/build/dash_renderer.min.js",
        "/assets/x.css",
    ]
    for url in fingerprinted:
        assert any(re.search(pattern, url) for pattern in patterns), url
    for url in plain:
        assert not any(re.search(pattern, url) for pattern in patterns), url
