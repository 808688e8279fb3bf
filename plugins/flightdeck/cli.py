"""The ``flightdeck`` command line: ``validate``, ``plan``, ``schema``, ``status``… (each module registers its own)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from flightdeck.bootstrap_cli import COMMAND as BOOTSTRAP_COMMAND
from flightdeck.commands import COMMANDS, Command, register
from flightdeck.config_cli import COMMAND as CONFIG_COMMAND
from flightdeck.errors import FlightdeckError, ManifestError, ManifestIssue
from flightdeck.execute_cli import COMMAND as EXECUTE_COMMAND
from flightdeck.ledger_cli import COMMAND as LEDGER_COMMAND
from flightdeck.manifest import discover_manifests, load_manifest
from flightdeck.manifest.schema import manifest_json_schema_text
from flightdeck.manifest.template_lint import lint_template
from flightdeck.plan import build_plan, describe, plan_document
from flightdeck.plan.document import only_environment
from flightdeck.status_cli import COMMAND as STATUS_COMMAND

DEFAULT_MANIFEST_DIR = "include/manifests"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(prog="flightdeck", description="Release pipelines for multi-account AWS.")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS.values():
        subparser = subparsers.add_parser(command.name, help=command.help, description=command.help)
        command.configure(subparser)
        subparser.set_defaults(run=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``flightdeck`` with ``argv`` (default: the process arguments); returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, or a usage error already printed by argparse
        return exit_.code if isinstance(exit_.code, int) else 2
    try:
        return args.run(args)
    except FlightdeckError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1


def _configure_validate(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        default=[Path(DEFAULT_MANIFEST_DIR)],
        metavar="PATH",
        help=f"manifest files or folders of manifests (default: {DEFAULT_MANIFEST_DIR})",
    )
    parser.add_argument(
        "--no-lint", action="store_true", help="skip linting each manifest's template with cfn-lint (about 1 s each)"
    )


def _validate(args: argparse.Namespace) -> int:
    files, unusable = _manifest_files(args.paths)
    invalid = 0
    dag_ids: dict[str, Path] = {}
    linted: dict[str, list[ManifestIssue]] = {}  # manifests may share a template: lint it once
    for path in files:
        try:
            plan = build_plan(load_manifest(path))
        except ManifestError as err:
            invalid += 1
            for issue in err.issues:
                print(issue)
        except FlightdeckError as err:
            invalid += 1
            print(f"{path}: {err}")
        else:
            if plan.dag_id in dag_ids:
                invalid += 1
                print(
                    f"{path}: application {plan.application} is also released by {dag_ids[plan.dag_id]}; "
                    f"both would be DAG {plan.dag_id}: rename one application"
                )
                continue
            dag_ids[plan.dag_id] = path
            lint_issues = [] if args.no_lint else _lint(plan.template_path, linted)
            for issue in lint_issues:
                print(issue)
            if lint_issues:
                invalid += 1
                continue
            print(f"OK {path}")
    if invalid or unusable:
        summary = f"{invalid} of {len(files)} manifest(s) invalid"
        print(summary + (f", {unusable} path(s) unusable" if unusable else ""), file=sys.stderr)
    return 1 if invalid or unusable else 0


def _lint(template: str, linted: dict[str, list[ManifestIssue]]) -> list[ManifestIssue]:
    """The cfn-lint errors of ``template``; ``linted`` remembers them so each template is linted once per run."""
    if template not in linted:
        linted[template] = lint_template(template)
    return linted[template]


def _manifest_files(paths: Sequence[Path]) -> tuple[list[Path], int]:
    """Manifest files named or found in folders, and how many paths were unusable (each reported)."""
    files: list[Path] = []
    bad = 0
    for path in paths:
        if path.is_dir():
            found = discover_manifests(path)
            if not found:
                print(f"{path}: no manifests (*.yaml, *.yml) in this folder")
                bad += 1
            files += found
        elif path.exists():
            files.append(path)
        else:
            print(f"{path}: no such file or folder")
            bad += 1
    return files, bad


def _configure_plan(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("manifest", type=Path, help="the manifest file")
    parser.add_argument("--env", metavar="ENVIRONMENT", help="show only this environment")
    parser.add_argument("--json", action="store_true", help="print the plan as JSON (shape: docs/manifest.md)")


def _plan(args: argparse.Namespace) -> int:
    try:
        plan = build_plan(load_manifest(args.manifest))
    except ManifestError as err:
        for issue in err.issues:
            print(issue)
        return 1
    if args.env is not None:
        plan = only_environment(plan, args.env)
    if args.json:
        print(json.dumps(plan_document(plan), indent=2))
    else:
        print(describe(plan), end="")
    return 0


def _schema(args: argparse.Namespace) -> int:
    del args
    print(manifest_json_schema_text(), end="")
    return 0


register(Command("validate", "check manifests; print OK or every issue", _configure_validate, _validate))
register(Command("plan", "show what a release of a manifest would deploy, and where", _configure_plan, _plan))
register(Command("schema", "print the JSON Schema of manifests", lambda parser: None, _schema))
register(BOOTSTRAP_COMMAND)
register(EXECUTE_COMMAND)
register(CONFIG_COMMAND)
register(STATUS_COMMAND)
register(LEDGER_COMMAND)
