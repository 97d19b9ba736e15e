"""The Tessera service: `create_app()` builds it from small `register_*` helpers."""
from __future__ import annotations

from flask import Flask, redirect, url_for
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from config import ROOT, Config, load_config



def create_app(config: Config | None = None) -> Flask:
    config = config or load_config()
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.from_mapping(config.as_mapping())
    app.config["TESSERA_CONFIG"] = config
    if config.TRUSTED_PROXIES:
        # The client's address and scheme as the proxies saw them: rate limits and device logs
        # count real clients, not the proxy. Only the last TRUSTED_PROXIES hops are believed.
        hops = config.TRUSTED_PROXIES
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    if config.EMBEDDED_WORKER:
        from app.wallet.worker import start_embedded_worker

        app.extensions["tessera.worker"] = start_embedded_worker(app)
    return app


def register_extensions(app: Flask) -> None:
    from app.database import init_database
    from app.enrollment import init_app as init_enrollment
    from app.extensions import csrf
    from app.formats import init_app as init_formats
    from app.input_guard import init_app as init_input_guard
    from app.wallet.apple import init_signer

    init_input_guard(app)
    init_database(app)
    csrf.init_app(app)
    init_enrollment(app)
    init_formats(app)
    init_signer(app)


def register_blueprints(app: Flask) -> None:
    from app.api import bp as api_bp
    from app.dashboard import bp as dashboard_bp
    from app.enrollment import bp as enrollment_bp
    from app.google_callbacks import bp as google_bp
    from app.passdl import bp as passdl_bp
    from app.passkit import bp as passkit_bp
    from app.poster import bp as poster_bp

    app.register_blueprint(api_bp, url_prefix="/api/v1")
    app.register_blueprint(dashboard_bp, url_prefix="/dashboard")
    app.register_blueprint(enrollment_bp)
    app.register_blueprint(google_bp)
    app.register_blueprint(passdl_bp)
    app.register_blueprint(passkit_bp, url_prefix="/passkit")
    app.register_blueprint(poster_bp)

    @app.get("/")
    def index() -> Response:
        return redirect(url_for("dashboard.home"))

    @app.get("/<any('favicon.ico', 'favicon.svg', 'favicon-32.png', 'apple-touch-icon.png'):name>")
    def tessera_icon(name: str) -> Response:
        """Tessera's icon: /favicon.ico and /apple-touch-icon.png are asked for whatever a page's head says."""
        from app.poster.images import tessera_icon_response

        return tessera_icon_response(name)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}


def register_errorhandlers(app: Flask) -> None:
    from app.errors import init_app

    init_app(app)


def register_commands(app: Flask) -> None:
    from app.cli import init_app

    init_app(app)
