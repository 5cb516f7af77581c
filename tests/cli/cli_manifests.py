"""Manifests the command tests apply: a web app with its secret, config and service."""

from __future__ import annotations

SECRET_VALUE = "s3cr3t-Value-42"
"""The secret's value: it must never appear in output without --reveal."""

WEB = f"""\
apiVersion: orchsdk/v1
kind: Secret
name: db
data:
  password: {SECRET_VALUE}
---
apiVersion: orchsdk/v1
kind: Deployment
name: web
image: nginx:1.27
replicas: 2
ports:
- port: 8080
  name: http
env:
  DB_PASSWORD: {{secret: db, key: password}}
  MODE: production
labels:
  app: web
health:
  http_path: /healthz
  port: http
---
apiVersion: orchsdk/v1
kind: Service
name: web
selector:
  app: web
ports:
- port: 80
  target_port: http
"""

CONFIG = """\
apiVersion: orchsdk/v1
kind: ConfigMap
name: web-config
data:
  LOG_LEVEL: info
"""


def web(*, image: str = "nginx:1.27", replicas: int = 2) -> str:
    """:data:`WEB` with another image or replica count."""
    return WEB.replace("image: nginx:1.27", f"image: {image}").replace(
        "replicas: 2", f"replicas: {replicas}"
    )
