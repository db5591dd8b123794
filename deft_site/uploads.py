"""Request bodies over the upload limit are refused before a byte of them is read, let alone written to disk.

Django itself has no limit on file uploads (DATA_UPLOAD_MAX_MEMORY_SIZE leaves files out): a multipart body
over FILE_UPLOAD_MAX_MEMORY_SIZE is streamed into a temporary file first, and only then does a view see it.
`UploadLimitMiddleware` answers 413 from the declared Content-Length, ahead of the CSRF check (which reads the
body); `UploadLimitHandler`, first of the upload handlers, counts the bytes as they arrive for a body whose
length was not declared truthfully, and stops before the handler that writes to disk sees the chunk.
The limit is the setting DEFT_UPLOAD_MAX_BYTES (environment: DEFT_UPLOAD_MAX_MB).
"""
from __future__ import annotations

import logging
from typing import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.html import escape

logger = logging.getLogger("deft.security")


def upload_limit() -> int:
    return int(settings.DEFT_UPLOAD_MAX_BYTES)


def too_large_message(size: int | None) -> str:
    limit_mb = upload_limit() / (1024 * 1024)
    what = f"The upload is {size / (1024 * 1024):.1f} MB" if size else "The upload is too large"
    return (f"{what}; the limit is {limit_mb:g} MB (setting DEFT_UPLOAD_MAX_MB). Split the file, or ask an admin "
            f"to raise the limit.")


class UploadTooLarge(RequestDataTooBig):
    """Raised by UploadLimitHandler; a SuspiciousOperation, so Django answers 400 rather than 500."""


class UploadLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            size = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            size = 0
        if size > upload_limit():
            logger.warning("refused: %s %s with a %d-byte body (limit %d)", request.method, request.path, size,
                           upload_limit())
            return _refusal(request, too_large_message(size))
        return self.get_response(request)


def _refusal(request: HttpRequest, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message, "field": "file"}, status=413)
    page = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Upload too large</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"></head><body>'
            f'<main id="main"><h1>Upload too large</h1><p id="upload-error">{escape(message)}</p>'
            f'<p><a href="{escape(request.path)}">Back</a></p></main></body></html>')
    return HttpResponse(page, status=413)


class UploadLimitHandler(FileUploadHandler):
    """Counts the body's file bytes; over the limit it stops the upload before later handlers store them."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None) -> None:  # noqa: ANN001, N803
        self.received = 0
        if content_length and content_length > upload_limit():
            raise UploadTooLarge(too_large_message(content_length))

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received = getattr(self, "received", 0) + len(raw_data)
        if self.received > upload_limit():
            raise UploadTooLarge(too_large_message(None))
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None
