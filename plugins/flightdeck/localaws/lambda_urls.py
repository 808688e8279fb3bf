"""Lambda function URLs: ``AWS::Lambda::Url`` deploys, and its URL answers HTTP on the emulator itself.

moto has no CloudFormation model for ``AWS::Lambda::Url`` (the resource is skipped and ``Fn::GetAtt`` on it fails the
template), and the URLs its Lambda API hands out (``https://<url-id>.lambda-url.<region>.on.aws``) lead nowhere.
Here a URL is ``<origin>/_flightdeck/lambda-url/<url-id>/``, ``<origin>`` being the address the request that
created it reached the emulator at (moto builds SQS queue URLs the same way). A request under it invokes the
function with a payload format 2.0 event, authorized and answered as Lambda does.
"""

from __future__ import annotations

import base64
import contextlib
import fnmatch
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from types import ModuleType
from typing import TYPE_CHECKING, Any

from moto.core.common_models import CloudFormationModel
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from werkzeug.datastructures import Headers
from werkzeug.wrappers import Request, Response

from flightdeck.localaws.fixes import on_reset
from flightdeck.localaws.post_import import when_imported

if TYPE_CHECKING:
    from moto.awslambda.models import FunctionUrlConfig, LambdaFunction

ROUTE = "/_flightdeck/lambda-url"
_CONFIG_KEYS = ("AuthType", "Cors", "InvokeMode")
# Request bodies of these types reach the handler as text; any other body is base64-encoded.
_TEXT_TYPES = {"application/json", "application/javascript", "application/xml", "application/x-www-form-urlencoded"}

log = logging.getLogger(__name__)
_origin: ContextVar[str | None] = ContextVar("flightdeck_lambda_url_origin", default=None)
_lock = threading.Lock()
_urls: dict[str, tuple[str, str, str]] = {}  # url id -> (account, region, function name)


def local_url(url_id: str) -> str:
    """The URL of ``url_id`` on this emulator, as reached by the current request (else its configured address)."""
    origin = _origin.get()
    if origin is None:
        from flightdeck.localaws.lambda_runtime import endpoint_url

        origin = endpoint_url()
    return f"{origin}{ROUTE}/{url_id}/"


def find(url_id: str) -> tuple[LambdaFunction, FunctionUrlConfig] | None:
    """The function whose current URL config has ``url_id``, with that config; None when there is none."""
    from moto.awslambda.exceptions import UnknownFunctionException
    from moto.awslambda.models import lambda_backends

    with _lock:
        owner = _urls.get(url_id)
    if owner is None:
        return None
    account, region, name = owner
    try:
        function = lambda_backends[account][region].get_function(name)
    except UnknownFunctionException:
        return None
    config = function.url_config
    return (function, config) if config is not None and getattr(config, "url_id", "") == url_id else None


def clear() -> None:
    """Forget every URL (moto's reset deleted the functions)."""
    with _lock:
        _urls.clear()


class FunctionUrl(CloudFormationModel):
    """``AWS::Lambda::Url``: the URL config of one function; ``Ref`` and ``FunctionArn`` give the function's ARN.

    :param function_arn: the target function's unqualified ARN.
    :param account_id: the function's account.
    :param region: the function's region.
    """

    def __init__(self, function_arn: str, account_id: str, region: str) -> None:
        self.function_arn = function_arn
        self.account_id = account_id
        self.region = region

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Lambda::Url"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("FunctionArn", "FunctionUrl")

    @property
    def physical_resource_id(self) -> str:
        return self.function_arn

    def get_cfn_attribute(self, attribute_name: str) -> str:
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

        if attribute_name == "FunctionArn":
            return self.function_arn
        if attribute_name == "FunctionUrl":
            return _function(self.account_id, self.region, self.function_arn).get_url_config().url
        raise UnformattedGetAttTemplateException()

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> FunctionUrl:
        """``CreateFunctionUrlConfig`` on ``TargetFunctionArn`` (a name or an ARN)."""
        properties = cloudformation_json["Properties"]
        function = _target(properties, account_id, region_name)
        function.create_url_config(_settings(properties))
        return cls(function.get_cfn_attribute("Arn"), account_id, region_name)

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[misc]
        cls,
        original_resource: FunctionUrl,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> FunctionUrl:
        """``UpdateFunctionUrlConfig`` in place (the URL stays); another target replaces the URL."""
        properties = cloudformation_json["Properties"]
        function = _target(properties, account_id, region_name)
        if function.get_cfn_attribute("Arn") != original_resource.function_arn:
            original_resource.delete(account_id, region_name)
            return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)
        if function.url_config is None:  # deleted meanwhile (a rollback restoring it, say): made again
            function.create_url_config(_settings(properties))
        else:
            from moto.core.utils import utcnow

            function.url_config.config = _settings(properties)
            function.url_config.last_modified = utcnow().strftime("%Y-%m-%dT%H:%M:%S.000+0000")
        return original_resource

    def delete(self, account_id: str, region_name: str) -> None:
        """``DeleteFunctionUrlConfig``; nothing to do when the function is gone already."""
        from moto.awslambda.exceptions import UnknownFunctionException

        with contextlib.suppress(UnknownFunctionException):
            _function(self.account_id, self.region, self.function_arn).delete_url_config()

    def is_created(self) -> bool:
        return True


def _function(account_id: str, region: str, name_or_arn: str) -> LambdaFunction:
    from moto.awslambda.models import lambda_backends

    return lambda_backends[account_id][region].get_function(name_or_arn)


def _target(properties: dict[str, Any], account_id: str, region: str) -> LambdaFunction:
    if properties.get("Qualifier"):
        from moto.awslambda.exceptions import InvalidParameterValueException

        raise InvalidParameterValueException("Qualifier of AWS::Lambda::Url is not supported by the local emulator")
    return _function(account_id, region, properties["TargetFunctionArn"])


def _settings(properties: dict[str, Any]) -> dict[str, Any]:
    return {key: properties[key] for key in _CONFIG_KEYS if key in properties}


def build_event(request: Request, url_id: str, path: str) -> dict[str, Any]:
    """The payload format 2.0 event Lambda sends for ``request`` (``path``: the part after the URL's root)."""
    headers: dict[str, str] = {}
    for name, value in request.headers.items():
        key = name.lower()
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    headers.setdefault("x-forwarded-for", request.remote_addr or "")
    headers.setdefault("x-forwarded-proto", request.scheme)
    cookies = [c.strip() for c in headers.pop("cookie", "").split(";") if c.strip()]
    now = time.time()
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": request.query_string.decode("latin-1"),
        "headers": headers,
        "requestContext": {
            "accountId": "anonymous",
            "apiId": url_id,
            "domainName": request.host,
            "domainPrefix": url_id,
            "http": {
                "method": request.method,
                "path": path,
                "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
                "sourceIp": request.remote_addr or "",
                "userAgent": request.user_agent.string,
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if request.args:
        event["queryStringParameters"] = {key: ",".join(request.args.getlist(key)) for key in request.args}
    data = request.get_data()
    if data:
        event["body"], event["isBase64Encoded"] = _body(data, request.mimetype)
    return event


def _body(data: bytes, mimetype: str) -> tuple[str, bool]:
    """The body as the event carries it: text for textual types, else base64 (and ``isBase64Encoded``)."""
    if mimetype.startswith("text/") or mimetype in _TEXT_TYPES or mimetype.endswith(("+json", "+xml")):
        try:
            return data.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(data).decode(), True


def http_response(payload: bytes) -> Response:
    """The HTTP answer to a function's result: its ``statusCode``/``headers``/``body``/``cookies``, or else the
    result itself as ``application/json`` with status 200."""
    result = json.loads(payload)
    if not isinstance(result, dict) or "statusCode" not in result:
        return Response(payload, status=200, content_type="application/json")
    try:
        status = int(result["statusCode"])
        body = result.get("body") or ""
        if not isinstance(body, str) or not 100 <= status <= 599:
            raise ValueError("statusCode must be an HTTP status and body a string")
        data = base64.b64decode(body, validate=True) if result.get("isBase64Encoded") else body.encode()
    except (TypeError, ValueError) as err:  # binascii.Error is a ValueError
        log.warning("function URL: malformed response (%s)", err)
        return _message(502, "Internal Server Error")
    headers = Headers([(str(name), str(value)) for name, value in (result.get("headers") or {}).items()])
    for cookie in result.get("cookies") or ():
        headers.add("Set-Cookie", str(cookie))
    response = Response(data, status=status, headers=headers)
    if "content-type" not in {name.lower() for name in (result.get("headers") or {})}:
        del response.headers["Content-Type"]  # werkzeug's default type: Lambda adds none
    return response


def _message(status: int, message: str, error_type: str | None = None) -> Response:
    response = Response(json.dumps({"Message": message}), status=status, content_type="application/json")
    if error_type:
        response.headers["x-amzn-ErrorType"] = error_type
    return response


def _condition_met(operator: str, key: str, value: Any, auth_type: str) -> bool:
    """Whether an anonymous request to a URL of ``auth_type`` meets one condition of a statement."""
    values = {str(v).lower() for v in (value if isinstance(value, list) else [value])}
    if key.lower() == "lambda:functionurlauthtype" and operator == "StringEquals":
        return auth_type.lower() in values
    if key.lower() == "lambda:invokedviafunctionurl" and operator == "Bool":
        return "true" in values
    return False  # other keys (source ARN or account, organization) an anonymous caller never has


def _grants_public(statement: dict[str, Any], action: str, auth_type: str) -> bool:
    """Whether a statement of the function's policy (as moto stores it) lets anyone perform ``action``."""
    if statement.get("Effect", "Allow") != "Allow" or statement.get("Principal") not in ("*", {"AWS": "*"}):
        return False
    actions = statement.get("Action")
    if not any(fnmatch.fnmatchcase(action.lower(), str(a).lower()) for a in _listed(actions)):
        return False
    conditions = [
        (operator, key, value)
        for operator, clause in (statement.get("Condition") or {}).items()
        for key, value in clause.items()
    ]
    # AddPermission's parameters, which moto keeps in the statement rather than turning them into conditions.
    if "FunctionUrlAuthType" in statement:
        conditions.append(("StringEquals", "lambda:FunctionUrlAuthType", statement["FunctionUrlAuthType"]))
    if "InvokedViaFunctionUrl" in statement:
        conditions.append(("Bool", "lambda:InvokedViaFunctionUrl", str(statement["InvokedViaFunctionUrl"])))
    return all(_condition_met(operator, key, value, auth_type) for operator, key, value in conditions)


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value] if value is not None else []


def allowed(function: LambdaFunction, config: FunctionUrlConfig, request: Request) -> bool:
    """``NONE``: the function's policy grants everyone both ``lambda:InvokeFunctionUrl`` and
    ``lambda:InvokeFunction``, as new URLs need since October 2025. ``AWS_IAM``: the request is signed
    (the signature is not verified)."""
    auth_type = str(config.config.get("AuthType", ""))
    if auth_type == "AWS_IAM":
        return "Authorization" in request.headers or "X-Amz-Signature" in request.args
    statements = function.policy.statements
    return all(
        any(_grants_public(statement, action, auth_type) for statement in statements)
        for action in ("lambda:InvokeFunctionUrl", "lambda:InvokeFunction")
    )


def serve(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    """Answer a request under ``/_flightdeck/lambda-url/<url-id>/`` by invoking the URL's function."""
    request = Request(environ)
    url_id, _, rest = request.path[len(ROUTE) + 1 :].partition("/")
    target = find(url_id)
    if target is None:
        response = _message(404, "Not Found")
    elif not allowed(*target, request):
        response = _message(403, "Forbidden", "AccessDeniedException")
    else:
        function = target[0]
        response_headers: dict[str, str] = {}
        payload = function.invoke(json.dumps(build_event(request, url_id, f"/{rest}")), {}, response_headers)
        if "x-amz-function-error" in response_headers:
            log.warning("function URL %s: %s failed: %s", url_id, function.function_name, payload[:500])
            response = _message(502, "Internal Server Error")
        else:
            response = http_response(payload)
    return response(environ, start_response)


def _hook_dispatch(original: Callable[..., Any]) -> Callable[..., Any]:
    def __call__(self: DomainDispatcherApplication, environ: dict[str, Any], start_response: Any) -> Any:
        path = str(environ.get("PATH_INFO", ""))
        if path == ROUTE or path.startswith(f"{ROUTE}/"):
            return serve(environ, start_response)
        host = environ.get("HTTP_HOST")
        token = _origin.set(f"{environ.get('wsgi.url_scheme', 'http')}://{host}" if host else None)
        try:
            return original(self, environ, start_response)  # moto answers in full before returning
        finally:
            _origin.reset(token)

    __call__._flightdeck_lambda_urls = True  # type: ignore[attr-defined]
    return __call__


def _patch_lambda(module: ModuleType) -> None:
    """URL configs get an emulator URL and are indexed by id; a second one for a function is refused."""
    from moto.awslambda.exceptions import LambdaClientError

    config_class, function_class = module.FunctionUrlConfig, module.LambdaFunction
    if getattr(config_class.__init__, "_flightdeck", False):
        return
    original_init, original_create = config_class.__init__, function_class.create_url_config

    def __init__(self: FunctionUrlConfig, function: LambdaFunction, config: dict[str, Any]) -> None:
        original_init(self, function, config)
        self.url_id = self.url.split("//", 1)[1].split(".", 1)[0]  # moto's random id, as in the AWS host name
        self.url = local_url(self.url_id)
        with _lock:
            _urls[self.url_id] = (function.account_id, function.region, function.function_name)

    def create_url_config(self: LambdaFunction, config: dict[str, Any]) -> FunctionUrlConfig:
        if self.url_config is not None:
            raise LambdaClientError(
                "ResourceConflictException",
                f"Failed to create function url config for [functionArn = {self.function_arn}]. "
                "Error message:  FunctionUrlConfig exists for this Lambda function",
            )
        return original_create(self, config)

    __init__._flightdeck = True  # type: ignore[attr-defined]
    config_class.__init__ = __init__
    function_class.create_url_config = create_url_config


def apply() -> None:
    """Serve ``/_flightdeck/lambda-url/``, note each request's origin, and fix URL configs once Lambda loads."""
    if getattr(DomainDispatcherApplication.__call__, "_flightdeck_lambda_urls", False):
        return
    DomainDispatcherApplication.__call__ = _hook_dispatch(DomainDispatcherApplication.__call__)  # type: ignore[method-assign]
    on_reset(clear)
    when_imported("moto.awslambda.models", _patch_lambda)
