"""Sample manifest text shared by the manifest tests."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
HELLO_MANIFEST = FIXTURES / "manifests" / "hello.yaml"
HELLO_TEMPLATE = FIXTURES / "apps" / "hello" / "template.yaml"

# A valid manifest for the hello template (16 lines); tests append to it or replace parts of it.
BASE = """\
version: 1
application: hello
template: template.yaml
deploy_role:
  name: flightdeck-deploy
  execution_role: flightdeck-cfn-exec
  external_id: flightdeck-demo
parameters:
  Greeting: ssm:/flightdeck/hello/greeting
  LogLevel: INFO
  AppVersion: release:version
environments:
  - name: dev
    accounts:
      - id: "111111111111"
        regions: [eu-west-1]
"""


def replace(old: str, new: str, text: str = BASE) -> str:
    """``text`` with one piece replaced; the piece must be there."""
    assert old in text, f"{old!r} is not in the sample"
    return text.replace(old, new)
