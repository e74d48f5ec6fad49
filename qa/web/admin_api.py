"""The write side of the HTTP API, and the collection list: a thin adapter over qa.collections.

    GET    /api/collections                               every collection with its counts
    POST   /api/collections {"name"}                      create an empty collection          (admin)
    DELETE /api/collections/{name}                        drop a collection and its files     (admin)
    POST   /api/collections/{name}/documents              multipart `files`: upload → 202 job (admin)
    DELETE /api/collections/{name}/documents/{doc_id}     remove a document → 202 job         (admin)
    GET    /api/jobs/{id}                                 a job's state, step, counts, files  (admin)
    GET    /api/admin/status                              may this client write; are tokens set
    POST   /api/login {"token"}, POST /api/logout         the session cookie of the page (auth.py)
    GET    /login, GET /admin                             the login page and the admin page (static)

Who may call what is decided before any of this runs (auth.py, AccessControl); every write is in
the audit log (a refused or failed one by write_audit.py). Uploads and removals run as background
jobs (qa/collections/jobs.py): the request returns at once with the job, and the collection answers
from its previous build until the swap.
(No `from __future__ import annotations`: the upload's file count limit comes from the app's settings,
and FastAPI must see that annotation as the object itself.)
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import FastAPI, File, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field, StrictStr
from starlette.concurrency import run_in_threadpool

from qa.collections import (
    AuditLog,
    Collections,
    Job,
    JobFile,
    Jobs,
    add_files,
    check_name,
    remove_documents,
    store_upload,
)
from qa.config import Settings
from qa.errors import Conflict, InputError, NotFound, SourceError
from qa.ingest.sources import display_path

from .auth import Guard, local_writer
from .schema import COLLECTION_RULE, CollectionName, responses

__all__ = ["Admin", "install_admin"]

WEB = Path(__file__).parent / "static"


@dataclass
class Admin:
    collections: Collections
    jobs: Jobs
    guard: Guard
    audit: AuditLog


class CreateCollection(BaseModel):
    name: StrictStr = Field(description="The new collection's name.", json_schema_extra=COLLECTION_RULE)


class Login(BaseModel):
    token: StrictStr


def _client(request: Request) -> str:
    return request.client.host if request.client else "?"


def _upload_work(admin: Admin, name: str, stored: list) -> callable:
    """The job of an upload: index the stored files; each JobFile says how its file went."""

    def work(job: Job) -> str:
        todo = [(f, s) for f, s in zip(job.files, stored) if s is not None and s.error is None and not s.unchanged]
        if not todo:
            return "没有需要索引的新文件。/ Nothing new to index."
        steps = admin.jobs.progress(job)
        try:
            report = add_files(admin.collections, name, [s.path for _, s in todo], steps)
        except SourceError as exc:  # not one file could be read: the index is as it was
            for f, s in todo:
                f.state, f.error = "failed", exc.message
                s.path.unlink(missing_ok=True)  # in no index: do not keep it
            raise
        by_file = {r.file: r for r in report.get("file_reports", [])}
        for f, s in todo:
            r = by_file.get(display_path(s.path))
            if r is not None and r.error:
                f.state, f.error = "failed", r.error
            else:
                f.state, f.passages = "indexed", r.passages if r else None
        job.passages = report["passages"]
        done = sum(f.state == "indexed" for f in job.files)
        return f"已索引 {done} 个文件；知识库共 {report['passages']} 个段落。/ Indexed {done} file(s)."

    return work


def install_admin(app: FastAPI, default_service, settings: Settings) -> Admin:
    """Add the collection routes to `app`; returns what api.py hooks into ask/verify and the middleware."""
    audit = AuditLog(settings.audit_path)
    collections = Collections(settings, default_service=default_service)

    def finished(job: Job) -> None:
        """The job's closing line: done or failed (also for a job a killed server left unfinished)."""
        audit.write(job.client, job.action, job.collection, [f.name for f in job.files], f"{job.state}: {job.message}")

    jobs = Jobs(collections.folder / ".jobs", orphaned=finished)
    # Logouts are kept beside the audit log, so that they outlive a restart.
    guard = Guard(
        settings.read_token, settings.admin_token, audit, settings.audit_path.parent / "revoked_sessions.json"
    )
    admin = Admin(collections, jobs, guard, audit)

    def start(request: Request, action: str, name: str, files: list[JobFile], work) -> JSONResponse:
        job = admin.jobs.new(action, name, files, _client(request))
        admin.audit.write(job.client, action, name, [f.name for f in files], f"accepted: job {job.id}")
        admin.jobs.submit(job, work, finished)
        return JSONResponse({"job": job.to_dict()}, status_code=202)

    @app.get("/api/collections", summary="List the collections", responses=responses())
    def list_collections() -> dict:
        return {"collections": [collections.info(n).to_dict() for n in collections.names()]}

    @app.post(
        "/api/collections",
        summary="Create a collection (admin)",
        status_code=201,
        responses=responses(400, 401, 403, 409, 422),
    )
    def create_collection(body: CreateCollection, request: Request) -> dict:
        info = collections.create(body.name)
        audit.write(_client(request), "create", info.name, [], "done")
        return info.to_dict()

    @app.delete("/api/collections/{name}", summary="Drop a collection (admin)", responses=responses(401, 403, 404, 422))
    def drop_collection(name: CollectionName, request: Request) -> dict:
        name = check_name(name)
        collections.drop(name)
        audit.write(_client(request), "drop", name, [], "done")
        return {"dropped": name}

    @app.post(
        "/api/collections/{name}/documents",
        summary="Upload documents (multipart `files`); indexed by a background job (admin)",
        status_code=202,
        responses=responses(400, 401, 403, 404, 422),
    )
    async def upload(
        name: CollectionName,
        request: Request,
        # At least one file; at most max_upload_files, documented here and refused below with its own message.
        files: Annotated[
            list[UploadFile], File(min_length=1, json_schema_extra={"maxItems": settings.max_upload_files})
        ],
    ) -> JSONResponse:
        if len(files) > settings.max_upload_files:
            raise InputError(
                f"一次最多上传 {settings.max_upload_files} 个文件。/ At most {settings.max_upload_files} files per upload "
                "(setting max_upload_files)."
            )
        name = check_name(name)
        if name != collections.default:
            await run_in_threadpool(collections.create, name, True)  # at once with another first upload: both in
        stored, entries = [], []
        for upload_file in files:
            filename = upload_file.filename or "document"
            data = await upload_file.read()
            s = await run_in_threadpool(store_upload, collections, name, filename, data)
            stored.append(s)
            state = "failed" if s.error else "unchanged" if s.unchanged else "queued"
            entries.append(JobFile(filename, state, s.error, stored=display_path(s.path) if s.path else None))
        return start(request, "upload", name, entries, _upload_work(admin, name, stored))

    @app.delete(
        "/api/collections/{name}/documents/{doc_id}",
        summary="Remove a document (its whole file); done by a background job (admin)",
        status_code=202,
        responses=responses(401, 403, 404, 422),
    )
    def remove(name: CollectionName, doc_id: str, request: Request) -> JSONResponse:
        name = check_name(name)
        service = collections.service(name)
        known = {a.doc_id for a in service.documents()} | {a.file for a in service.documents()}
        if doc_id not in known:
            raise NotFound(f"知识库 {name!r} 中没有文档 {doc_id!r}。/ No document {doc_id!r} in collection {name!r}.")

        def work(job: Job) -> str:
            steps = admin.jobs.progress(job)
            result = remove_documents(collections, name, [doc_id], steps)
            job.files[0].state = "removed"
            job.passages = result["passages"]
            return f"已删除：{', '.join(result['removed_docs'])} / Removed {len(result['removed_docs'])} document(s)."

        return start(request, "remove", name, [JobFile(doc_id)], work)

    @app.get(
        "/api/jobs/{job_id}",
        summary="A background job: state, step, counts, each file (admin)",
        responses=responses(401, 403, 404),
    )
    def job(job_id: str) -> dict:
        return admin.jobs.get(job_id).to_dict()

    @app.get(
        "/api/admin/status", summary="Whether this client may write, and which tokens are set", responses=responses()
    )
    def status(request: Request) -> dict:
        role = request.scope.get("state", {}).get("qa_role")
        can_write = role == "admin" or (not admin.guard.admin_token_set and local_writer(request.scope))
        return {
            "can_write": can_write,
            "role": role,
            "admin_token_set": admin.guard.admin_token_set,
            "read_token_set": admin.guard.read_token_set,
            "collections": collections.names(),
        }

    @app.post(
        "/api/login",
        summary="Log in with a token: sets the page's session cookie",
        responses=responses(400, 401, 403, 409, 422, 429),
    )
    def login(body: Login, request: Request) -> JSONResponse:
        if not (admin.guard.admin_token_set or admin.guard.read_token_set):
            raise Conflict(
                "服务器没有设置令牌，无需登录。/ The server has no tokens set; there is nothing to log in to."
            )
        admin.guard.count_login(_client(request))
        role = admin.guard.check_token(_client(request), body.token)
        response = JSONResponse({"role": role})
        response.headers["set-cookie"] = admin.guard.cookie(role, request.url.scheme == "https")
        return response

    @app.post("/api/logout", summary="End the page's session, on the server too", responses=responses(403))
    def logout(request: Request) -> JSONResponse:
        admin.guard.logout(request.scope)  # the cookie's session ends for good, even if a copy of it was kept
        response = JSONResponse({"role": None})
        response.headers["set-cookie"] = Guard.clear_cookie()
        return response

    @app.get("/login", include_in_schema=False)
    def login_page() -> FileResponse:
        return FileResponse(WEB / "login.html", media_type="text/html; charset=utf-8")

    @app.get("/admin", include_in_schema=False)
    def admin_page() -> FileResponse:
        return FileResponse(WEB / "admin.html", media_type="text/html; charset=utf-8")

    return admin
