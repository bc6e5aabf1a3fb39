"""Every API error is an RFC 9457 problem document (``application/problem+json``), never a traceback.

``{"type", "title", "status", "detail", "instance"}``; validation problems (422) add ``errors``: a list of
``{"field": "contact_points.1.value", "message": "..."}`` with the same dotted paths the services use.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from clientela.core.exceptions import ConcurrencyConflict, NotPermitted
from clientela.core.pagination import InvalidCursor

logger = logging.getLogger("clientela.api")

PROBLEM_CONTENT_TYPE = "application/problem+json"
# Problem types with extension members or a meaning beyond the status code; the rest are "about:blank".
VALIDATION_TYPE = "urn:clientela:problem:validation-error"
STALE_TYPE = "urn:clientela:problem:stale-version"
CSRF_TYPE = "urn:clientela:problem:csrf-failed"
DUPLICATE_TYPE = "urn:clientela:problem:possible-duplicate"

# Request parts Ninja puts first in a pydantic location; clients know fields, not transport details.
_SOURCES = {"body", "query", "path", "header", "cookie", "form", "file"}
# Names of the schema parameters of our endpoints, which Ninja also puts in the location.
_PARAM_NAMES = {"payload", "filters"}


class ProblemError(Exception):
    """Raised by endpoints for a problem that has no domain exception (e.g. a malformed If-Match)."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        type_: str = "about:blank",
        errors: list[dict[str, Any]] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.type = type_
        self.errors = errors
        self.extra = extra  # extension members of the problem type (e.g. ``matches``)


def invalid(errors: list[dict[str, Any]]) -> ProblemError:
    """A 422 problem for field errors found outside the services (e.g. unknown references)."""
    return ProblemError(
        422, _("The request has invalid fields; see errors."), type_=VALIDATION_TYPE, errors=errors
    )


def titles() -> dict[int, str]:
    """Translated titles per status (built per call so the request's language applies)."""
    return {
        400: _("Bad request"),
        401: _("Authentication required"),
        403: _("Forbidden"),
        404: _("Not found"),
        405: _("Method not allowed"),
        409: _("Conflict"),
        412: _("Precondition failed"),
        422: _("Invalid input"),
        429: _("Too many requests"),
        500: _("Server error"),
    }


def problem_response(
    request: HttpRequest,
    status: int,
    detail: str | None = None,
    *,
    type_: str = "about:blank",
    title: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> HttpResponse:
    """A problem+json response; ``instance`` is the request path, ``request_id`` ties it to the logs."""
    body: dict[str, Any] = {
        "type": type_,
        "title": title or titles().get(status, _("Error")),
        "status": status,
        "detail": detail or title or titles().get(status, _("Error")),
        "instance": request.path,
    }
    request_id = getattr(request, "request_id", "")
    if request_id:
        body["request_id"] = request_id
    if errors is not None:
        body["errors"] = errors
    if extra:
        body.update(extra)
    content = json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False)
    return HttpResponse(content, status=status, content_type=f"{PROBLEM_CONTENT_TYPE}; charset=utf-8")


def validation_problem(request: HttpRequest, errors: list[dict[str, Any]]) -> HttpResponse:
    """422 with one entry per field message."""
    return problem_response(
        request,
        422,
        _("The request has invalid fields; see errors."),
        type_=VALIDATION_TYPE,
        errors=errors,
    )


def errors_from_mapping(message_dict: Mapping[str, Iterable[Any]]) -> list[dict[str, Any]]:
    """Field errors from a ``{path: [messages]}`` mapping; "__all__" becomes ``field: null``."""
    out: list[dict[str, Any]] = []
    for path, messages in message_dict.items():
        field = None if path in ("__all__", "") else str(path)
        for message in messages:
            out.append({"field": field, "message": str(message)})
    return out


def _pydantic_message(error: Mapping[str, Any]) -> str:
    """Our own translated message for the common pydantic error types; pydantic's English text otherwise."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    simple = {
        "missing": _("This field is required."),
        "string_type": _("Enter text."),
        "int_type": _("Enter a whole number."),
        "int_parsing": _("Enter a whole number."),
        "int_from_float": _("Enter a whole number."),
        "bool_type": _("Enter true or false."),
        "bool_parsing": _("Enter true or false."),
        "date_type": _("Enter a valid date (YYYY-MM-DD)."),
        "date_parsing": _("Enter a valid date (YYYY-MM-DD)."),
        "date_from_datetime_parsing": _("Enter a valid date (YYYY-MM-DD)."),
        "date_from_datetime_inexact": _("Enter a valid date (YYYY-MM-DD)."),
        "datetime_type": _("Enter a valid date and time (ISO 8601)."),
        "datetime_parsing": _("Enter a valid date and time (ISO 8601)."),
        "datetime_from_date_parsing": _("Enter a valid date and time (ISO 8601)."),
        "list_type": _("Enter a list."),
        "dict_type": _("Enter an object."),
        "model_type": _("Enter an object."),
        "model_attributes_type": _("Enter an object."),
        "extra_forbidden": _("Unknown field."),
        "json_invalid": _("The request body is not valid JSON."),
    }
    if kind in simple:
        return simple[kind]
    if kind in ("enum", "literal_error"):
        # pydantic writes "'a', 'b' or 'c'" in English; keep only the values.
        choices = re.split(r", | or ", str(ctx.get("expected", "")).replace("'", ""))
        return _("Choose one of: %(choices)s.") % {"choices": ", ".join(choices)}
    if kind == "string_too_long":
        return _("Enter at most %(limit)s characters.") % {"limit": ctx.get("max_length")}
    if kind == "string_too_short":
        return _("Enter at least %(limit)s characters.") % {"limit": ctx.get("min_length")}
    if kind in ("greater_than_equal", "greater_than"):
        return _("Enter a number of at least %(limit)s.") % {"limit": ctx.get("ge", ctx.get("gt"))}
    if kind in ("less_than_equal", "less_than"):
        return _("Enter a number of at most %(limit)s.") % {"limit": ctx.get("le", ctx.get("lt"))}
    return str(error.get("msg", _("Invalid value.")))


def field_path(loc: Iterable[Any]) -> str | None:
    """("body", "payload", "contact_points", 1, "value") -> "contact_points.1.value"."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in _SOURCES:
        parts = parts[1:]
    if parts and parts[0] in _PARAM_NAMES:
        parts = parts[1:]
    return ".".join(parts) or None


def errors_from_pydantic(errors: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Ninja's request-validation errors as field errors."""
    return [{"field": field_path(e.get("loc", ())), "message": _pydantic_message(e)} for e in errors]


# --- handlers -------------------------------------------------------------------------------------------


def _on_ninja_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    return validation_problem(request, errors_from_pydantic(exc.errors))


def _on_django_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        return validation_problem(request, errors_from_mapping(exc.message_dict))
    return validation_problem(request, errors_from_mapping({"__all__": exc.messages}))


def _on_invalid_cursor(request: HttpRequest, exc: InvalidCursor) -> HttpResponse:
    return validation_problem(request, [{"field": "cursor", "message": str(exc)}])


def _on_conflict(request: HttpRequest, exc: ConcurrencyConflict) -> HttpResponse:
    return problem_response(request, 412, str(exc), type_=STALE_TYPE)


def _on_not_permitted(request: HttpRequest, exc: NotPermitted) -> HttpResponse:
    return problem_response(request, 403, str(exc))


def _on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return problem_response(request, 403, _("You do not have permission to do this."))


def _on_not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    # Never say why: a record outside the user's scope and a missing one look the same.
    return problem_response(request, 404, _("The requested resource was not found."))


def _on_authentication(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = problem_response(
        request,
        401,
        _("Send a valid API token (Authorization: Bearer <token>) or sign in."),
    )
    response["WWW-Authenticate"] = 'Bearer realm="clientela"'
    return response


def _on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400:
        return problem_response(request, 400, _("The request body is not valid JSON."))
    return problem_response(request, exc.status_code, str(exc))


def _on_problem(request: HttpRequest, exc: ProblemError) -> HttpResponse:
    return problem_response(
        request, exc.status, exc.detail, type_=exc.type, errors=exc.errors, extra=exc.extra
    )


def _on_unhandled(request: HttpRequest, exc: Exception) -> HttpResponse:
    # Logged with the traceback for operators; the client only gets the request id to quote.
    logger.exception("Unhandled API error on %s %s", request.method, request.path)
    return problem_response(request, 500, _("Something went wrong on our side. Please try again later."))


HANDLERS: list[tuple[type[Exception], Callable[..., HttpResponse]]] = [
    (Exception, _on_unhandled),
    (NinjaValidationError, _on_ninja_validation),
    (DjangoValidationError, _on_django_validation),
    (InvalidCursor, _on_invalid_cursor),
    (ConcurrencyConflict, _on_conflict),
    (NotPermitted, _on_not_permitted),
    (PermissionDenied, _on_permission_denied),
    (Http404, _on_not_found),
    (ObjectDoesNotExist, _on_not_found),
    (AuthenticationError, _on_authentication),
    (HttpError, _on_http_error),
    (ProblemError, _on_problem),
]


def register_exception_handlers(api: NinjaAPI) -> None:
    """Install the problem+json handlers on ``api`` (Ninja picks the most specific class of an error)."""
    for exc_class, handler in HANDLERS:
        api.add_exception_handler(exc_class, handler)
