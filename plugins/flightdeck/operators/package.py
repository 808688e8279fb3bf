"""Package the template and code, upload them to the target account's artifact bucket."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from airflow.sdk import Context

from flightdeck.aws.packaging import package_template, upload_package
from flightdeck.operators.base import TargetOperator, fail_fast
from flightdeck.operators.recording import start_deploy


class PackageOperator(TargetOperator):
    """Zip the code deterministically, upload it content-addressed, and upload the rewritten template.

    :param application: application name, the key prefix in the artifact bucket.
    :param template_path: the CloudFormation template whose local code paths are packaged.
    """

    ui_color = "#f3e8fb"

    def __init__(self, *, application: str, template_path: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.application = application
        self.template_path = template_path

    @fail_fast
    def execute(self, context: Context) -> dict[str, Any]:
        self.stop_if_wave_failed(context, "preparation")
        package = package_template(Path(self.template_path), key_prefix=self.application)
        target = self.target
        template_hash = package.template_sha256(target.artifact_bucket)
        start_deploy(context, target, self.application, digest=package.digest, template_hash=template_hash)
        result = upload_package(self.target_session(context), target.artifact_bucket, package)
        self.log.info(
            "Package %s: %d object(s) uploaded, %d already present in s3://%s",
            package.digest,
            len(result.uploaded),
            len(result.skipped),
            target.artifact_bucket,
        )
        return {
            "digest": package.digest,
            "template_sha256": template_hash,
            "template_url": result.template_url,
            "uploaded": list(result.uploaded),
            "skipped": list(result.skipped),
        }
