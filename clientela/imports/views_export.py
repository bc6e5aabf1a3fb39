"""Exports of the customer list: the customers the list shows (same query string, same filters), limited to
those the user may view and export, as CSV (streamed) or Excel (written to a temporary file first)."""

from __future__ import annotations

import tempfile

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from clientela.imports.exports import (
    ExportError,
    iter_csv,
    party_export_queryset,
    party_export_rows,
    write_xlsx,
)
from clientela.imports.permissions import EXPORT_REFUSED, may_export

# Larger lists are better served by the CSV file (streamed, no size limit, opens in any spreadsheet).
XLSX_MAX_ROWS = 50_000
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _filename(extension: str) -> str:
    return f"customers-{timezone.localdate():%Y%m%d}.{extension}"


@login_required
@require_GET
def export_csv(request: HttpRequest) -> HttpResponse:
    if not may_export(request.user):
        return render(request, "web/403.html", {"message": str(EXPORT_REFUSED)}, status=403)
    headers, rows = party_export_rows(party_export_queryset(user=request.user, params=request.GET))
    response = StreamingHttpResponse(iter_csv(headers, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename("csv")}"'
    return response


@login_required
@require_GET
def export_xlsx(request: HttpRequest) -> HttpResponse:
    if not may_export(request.user):
        return render(request, "web/403.html", {"message": str(EXPORT_REFUSED)}, status=403)
    queryset = party_export_queryset(user=request.user, params=request.GET)
    if queryset.order_by()[: XLSX_MAX_ROWS + 1].count() > XLSX_MAX_ROWS:
        context = {"limit": XLSX_MAX_ROWS, "query": request.GET.urlencode(), "nav": "customers"}
        return render(request, "imports/export_too_big.html", context)
    headers, rows = party_export_rows(queryset)
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - the response closes (and so deletes) it
    try:
        write_xlsx(handle, headers, rows)
    except ExportError as exc:
        handle.close()
        context = {
            "limit": XLSX_MAX_ROWS,
            "query": request.GET.urlencode(),
            "message": str(exc),
            "nav": "customers",
        }
        return render(request, "imports/export_too_big.html", context)
    except BaseException:
        handle.close()
        raise
    handle.seek(0)
    return FileResponse(
        handle, as_attachment=True, filename=_filename("xlsx"), content_type=XLSX_CONTENT_TYPE
    )
