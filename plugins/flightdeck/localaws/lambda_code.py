"""Lambda code from a missing S3 object is an error, as on AWS (moto created the function with empty code)."""

from __future__ import annotations

from typing import Any

from moto.awslambda.exceptions import InvalidParameterValueException
from moto.awslambda.models import LambdaFunction, do_validate_s3
from moto.s3.exceptions import MissingBucket
from moto.s3.models import s3_backends

NO_SUCH_KEY = (
    "Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not exist."
)


def check_code_object(function: LambdaFunction, spec: dict[str, Any]) -> None:
    """Raise AWS's ``InvalidParameterValueException`` when ``spec`` names an S3 object that does not exist."""
    if "S3Bucket" not in spec or "S3Key" not in spec or spec.get("DryRun") or not do_validate_s3():
        return
    backend = s3_backends[function.account_id][function.partition]
    try:
        key = backend.get_object(spec["S3Bucket"], spec["S3Key"], version_id=spec.get("S3ObjectVersion"))
    except MissingBucket:
        return  # moto's own check reports a missing bucket
    if key is None:
        raise InvalidParameterValueException(NO_SUCH_KEY)


def apply() -> None:
    """Check the code object before moto reads it, on create and on update."""
    if getattr(LambdaFunction._set_function_code, "_flightdeck", False):
        return
    original = LambdaFunction._set_function_code

    def _set_function_code(self: LambdaFunction, updated_spec: dict[str, Any]) -> None:
        check_code_object(self, updated_spec)
        original(self, updated_spec)

    _set_function_code._flightdeck = True  # type: ignore[attr-defined]
    LambdaFunction._set_function_code = _set_function_code  # type: ignore[method-assign]
