"""The studio's HTTP routes (thin: each one calls `Studio` and returns what it says)."""

from __future__ import annotations

import asyncio
import shutil
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.background import BackgroundTask

from pasdeux.errors import PasdeuxError
from pasdeux.generate import modes
from pasdeux.studio import runinfo, scrub
from pasdeux.studio.library import LibraryError
from pasdeux.studio.schemas import (
    CompareBody,
    GenerateBody,
    InfluenceBody,
    PairBody,
    PathBody,
    PickBody,
    RenameBody,
    ResumeBody,
    TrainBody,
    TrashBody,
)
from pasdeux.studio.security import Guard, allowed_hosts
from pasdeux.studio.service import Studio

STATIC = resources.files("pasdeux.studio").joinpath("static")


def create_app(library: str | Path, host: str = "127.0.0.1", port: int = 8421, max_upload_mb: float = 200,
               workers: int = 1) -> FastAPI:
    """The studio app over a library folder, answering only at http://HOST:PORT."""
    studio = Studio(library, int(max_upload_mb * 2**20), workers)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        studio.workers.warm()
        yield
        await asyncio.to_thread(studio.close)

    names = scrub.library_names(str(studio.library.root))

    class Scrubbed(JSONResponse):
        """Every answer names library files by their library path, never the folder on this machine."""

        def render(self, content) -> bytes:
            return super().render(scrub.value(content, names))

    app = FastAPI(title="pasdeux studio", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None,
                  default_response_class=Scrubbed)
    app.state.studio = studio
    app.add_middleware(Guard, hosts=allowed_hosts(host, port), max_upload=studio.library.max_upload_bytes)

    @app.exception_handler(PasdeuxError)
    async def user_error(request: Request, e: PasdeuxError) -> JSONResponse:
        return Scrubbed({"detail": str(e)}, status_code=getattr(e, "status", 400))

    @app.exception_handler(Exception)
    async def failure(request: Request, e: Exception) -> JSONResponse:
        return Scrubbed({"detail": f"{type(e).__name__}: {e}"}, status_code=500)

    _library_routes(app, studio)
    _generate_routes(app, studio)
    _training_routes(app, studio)

    @app.get("/", include_in_schema=False)
    def index() -> Response:
        return Response(STATIC.joinpath("index.html").read_text("utf-8"), media_type="text/html")

    @app.get("/static/pasdeux-viewer.min.js", include_in_schema=False)
    def viewer_js() -> Response:
        from pasdeux.viz.viewer import viewer_bundle

        return Response(viewer_bundle(), media_type="text/javascript")

    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    return app


def _library_routes(app: FastAPI, studio: Studio) -> None:
    lib = studio.library

    @app.get("/api/library")
    async def library() -> dict:
        return await asyncio.to_thread(studio.scan)

    @app.post("/api/motions", status_code=201)
    async def upload(request: Request) -> dict:
        form = await request.form(max_files=1, max_fields=4)
        try:
            file = _form_file(form, "the motion file")
            return await asyncio.to_thread(lib.store_upload, file.filename or "", file.file)
        finally:
            await form.close()

    @app.post("/api/videos", status_code=202)
    async def video(request: Request) -> dict:
        form = await request.form(max_files=1, max_fields=6)
        try:
            file = _form_file(form, "the video")
            dancers, model = str(form.get("dancers") or "1"), str(form.get("model") or "full")
            if not dancers.isdigit():
                raise LibraryError(f"dancers must be a whole number from 1 to 8; got {dancers!r}")
            return await asyncio.to_thread(studio.start_extraction, file.filename or "", file.file, int(dancers), model)
        finally:
            await form.close()

    @app.get("/api/videos/status")
    def video_status(job: str) -> dict:
        return studio.extraction_status(job)

    @app.get("/api/motions/info")
    async def info(path: str) -> dict:
        return await asyncio.to_thread(lib.describe, path)

    @app.get("/api/motions/payload")
    async def payload(path: str, ghost: str | None = None, with_source: bool = False) -> dict:
        return await studio.payload(path, ghost, with_source)

    @app.get("/api/motions/export")
    async def export(path: str, format: str, start: int = 0, frames: int | None = None) -> FileResponse:
        out = await studio.export(path, format.lower(), max(0, start), frames)
        return FileResponse(out, filename=out.name, background=BackgroundTask(shutil.rmtree, out.parent, True))

    @app.post("/api/library/rename")
    async def rename(body: RenameBody) -> dict:
        return {"path": await asyncio.to_thread(lib.rename, body.path, body.name)}

    @app.post("/api/library/delete")
    async def delete(body: PathBody) -> dict:
        entry = await asyncio.to_thread(lib.delete, body.path)
        return {"deleted": body.path, "trash": entry}

    @app.post("/api/library/pair", status_code=201)
    async def pair(body: PairBody) -> dict:
        return await asyncio.to_thread(studio.pair, body.a, body.b, body.name)

    @app.post("/api/library/pick", status_code=201)
    async def pick(body: PickBody) -> dict:
        return await asyncio.to_thread(studio.pick, body.path, body.dancers, body.name)

    @app.get("/api/trash")
    async def trash() -> list[dict]:
        return await asyncio.to_thread(lib.trash)

    @app.post("/api/trash/restore")
    async def restore(body: TrashBody) -> dict:
        return {"path": await asyncio.to_thread(lib.restore, body.id)}

    @app.post("/api/trash/empty")
    async def empty_trash() -> dict:
        return {"emptied": await asyncio.to_thread(lib.empty_trash)}


def _generate_routes(app: FastAPI, studio: Studio) -> None:
    @app.get("/api/modes")
    def generation_modes() -> dict:
        """The registry of generation modes and their settings, from which the page builds its form."""
        return modes.catalogue()

    @app.post("/api/generate")
    async def generate(body: GenerateBody) -> dict:
        return await studio.generate(body)

    @app.post("/api/generate/again")
    async def again(body: PathBody) -> dict:
        return await studio.regenerate(body.path)

    @app.post("/api/compare")
    async def compare(body: CompareBody) -> dict:
        return await studio.compare(body)

    @app.get("/api/compare/plot")
    def compare_plot(id: str, name: str) -> FileResponse:
        return FileResponse(studio.plot("compare", id, name), media_type="image/png")

    @app.post("/api/influence")
    async def influence(body: InfluenceBody) -> dict:
        return await studio.influence(body)

    @app.get("/api/influence/plot")
    def influence_plot(id: str) -> FileResponse:
        return FileResponse(studio.plot("influence", id, "influence.png"), media_type="image/png")


def _training_routes(app: FastAPI, studio: Studio) -> None:
    @app.get("/api/recipes")
    def recipes() -> list[dict]:
        return runinfo.recipes()

    @app.post("/api/runs", status_code=201)
    async def start(body: TrainBody) -> dict:
        return await studio.start_training(body)

    @app.get("/api/runs/status")
    def status(path: str) -> dict:
        return studio.run_status(path)

    @app.post("/api/runs/stop")
    def stop(body: PathBody) -> dict:
        return {"path": body.path, "status": studio.training.stop(studio.run_folder(body.path))}

    @app.post("/api/runs/resume")
    def resume(body: ResumeBody) -> dict:
        return studio.resume_training(body)

    @app.get("/api/runs/loss-curve")
    def loss_curve(path: str) -> FileResponse:
        return FileResponse(studio.loss_curves(path), media_type="image/png")


def _form_file(form, what: str):
    """The uploaded file of a multipart form's field 'file'; a clear 4xx when it is missing."""
    file = form.get("file")
    if file is None or isinstance(file, str):
        raise LibraryError(f"send {what} as the multipart form field 'file'")
    return file
