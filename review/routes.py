"""Every page of the review UI and the handler that answers it (the plugin registers these).

Ids match anything up to "/" or "." so that a bad one ("²", 30 digits) reaches the view and
gets a 404 from `plain_id` instead of falling through to Datasette's own routing.
"""
from __future__ import annotations

from pathlib import Path

from datasette.utils.asgi import asgi_static

from . import ledger_page, views
from .image_views import original_file, page_image, page_web_image
from .lists_page import lists_page
from .queue_views import bulk_approve, export_view, queue, release_claim, take_over

HERE = Path(__file__).resolve().parent

ROUTES = [
    (r"^/-/review/login$", views.login),
    (r"^/-/review/logout$", views.logout),
    (r"^/-/review/static/(?P<path>.*)$", asgi_static(HERE / "static")),
    (r"^/-/review(\.json)?$", queue),
    (r"^/-/review/next$", views.next_submission),
    (r"^/-/review/bulk-approve$", bulk_approve),
    (r"^/-/review/export(\.(?P<fmt>csv|xlsx))?$", export_view),
    (r"^/-/review/submission/(?P<submission_id>[^/.]+)/take$", take_over),
    (r"^/-/review/submission/(?P<submission_id>[^/.]+)/release$", release_claim),
    (r"^/-/review/submission/(?P<submission_id>[^/.]+)(\.json)?$", views.submission),
    (r"^/-/review/submission/(?P<submission_id>[^/.]+)/field$", views.correct),
    (r"^/-/review/submission/(?P<submission_id>[^/.]+)/decide$", views.decide),
    (r"^/-/review/submission/(?P<submission_id>[^/.]+)/reopen$", views.reopen),
    (r"^/-/review/file/(?P<file_id>[^/.]+)/requeue$", views.requeue),
    (r"^/-/review/page/(?P<page_id>[^/.]+)\.png$", page_image),
    (r"^/-/review/page/(?P<page_id>[^/.]+)/(?P<size>[a-z]+)\.webp$", page_web_image),
    (r"^/-/review/file/(?P<file_id>[^/.]+)/original$", original_file),
    (r"^/-/review/audit$", views.audit_page),
    (r"^/-/review/users$", views.users_page),
    (r"^/-/review/lists(\.json)?$", lists_page),
    (r"^/-/review/admin-only$", views.admin_only),
    (r"^/-/review/submission/(?P<submission_id>[^/.]+)/return$", views.return_view),
    (r"^/-/review/notice/(?P<notice_id>[^/.]+)\.pdf$", views.notice_pdf_view),
    (r"^/-/review/ledger$", ledger_page.ledger_view),
]
