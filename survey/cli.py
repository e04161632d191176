"""``kesu db``, ``kesu serve``, ``kesu user`` and ``kesu wave``: the survey's commands.

Each command builds the app with :func:`survey.create_app` (instance config, then
``KESU_*`` environment variables); without ``KESU_SECRET_KEY`` a random key is created
once in the instance folder.
"""

from __future__ import annotations

import getpass
import logging
import os
from pathlib import Path
from typing import Any

import click
from flask import Flask

logger = logging.getLogger(__name__)


def _app(**overrides: Any) -> Flask:
    from survey import create_app
    from survey.errors import SurveyError

    settings: dict[str, Any] = {"GENERATE_SECRET_KEY": True}
    settings.update(overrides)
    try:
        return create_app(settings)
    except SurveyError as exc:
        raise click.ClickException(str(exc)) from None


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name in some containers
        return "cli"


def _run(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call a service with a fresh session; turn SurveyError into a clean CLI error."""
    from survey.db import database
    from survey.errors import SurveyError

    app = _app()
    db = database(app)
    with app.app_context():
        session = db.sessionmaker()
        try:
            return fn(session, *args, **kwargs)
        except SurveyError as exc:
            session.rollback()
            raise click.ClickException(str(exc)) from None
        finally:
            session.close()
            db.engine.dispose()


@click.group("db")
def db_group() -> None:
    """Database schema (Alembic migrations)."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Create or update the tables to the newest schema."""
    from survey.db import current_revision
    from survey.db import database
    from survey.db import upgrade

    engine = database(_app()).engine
    try:
        upgrade(engine, revision)
        click.echo(f"database at revision {current_revision(engine)} ({engine.url!r})")
    finally:
        engine.dispose()


@db_group.command("current")
def db_current() -> None:
    """Print the schema revision of the database."""
    from survey.db import current_revision
    from survey.db import database

    engine = database(_app()).engine
    try:
        click.echo(current_revision(engine) or "empty (run kesu db upgrade)")
    finally:
        engine.dispose()


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--debug", is_flag=True, help="Flask debug mode (never in production).")
@click.option("--demo", is_flag=True, help="Migrate, open a demo wave and print links first.")
def serve(host: str, port: int, debug: bool, demo: bool) -> None:
    """Run the development server (production: gunicorn, see survey/README.md)."""
    overrides: dict[str, Any] = {}
    if "KESU_COOKIE_SECURE" not in os.environ:
        overrides["COOKIE_SECURE"] = False  # plain http on a development machine
    if demo:
        from survey.demo import run_demo

        run_demo(host, port, config=overrides, echo=click.echo)
        return
    app = _app(**overrides)
    app.run(host=host, port=port, debug=debug, threaded=True, use_reloader=False)


@click.group("user")
def user() -> None:
    """Administrator accounts."""


@user.command("create")
@click.argument("username")
@click.password_option(help="At least 10 characters (asked for when not given).")
def user_create(username: str, password: str) -> None:
    """Create an administrator USERNAME."""
    from survey.services import create_user

    _run(create_user, username, password, actor=_actor())
    click.echo(f"user {username} created (role admin)")


@click.group("wave")
def wave() -> None:
    """Fieldwork waves: create, open, close, list, invite, rescore."""


@wave.command("create")
@click.argument("name")
@click.option(
    "--questionnaire",
    "path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Questionnaire YAML (default: the bundled Yiwu questionnaire).",
)
@click.option("--year", type=int, help="Survey year (default: the questionnaire's).")
@click.option("--learn/--no-learn", default=True, show_default=True, help="Show answers after.")
@click.option("--open-recruitment", is_flag=True, help="Give the wave a public link.")
@click.option("--mode", "modes", multiple=True, default=("web",), show_default=True)
def wave_create(
    name: str, path: Path | None, year: int | None, learn: bool, open_recruitment: bool, modes: Any
) -> None:
    """Create a draft wave NAME that freezes a questionnaire file."""
    from questionnaires import DEFAULT_QUESTIONNAIRE
    from survey.services import create_wave

    path = path or DEFAULT_QUESTIONNAIRE
    summary = _run(
        create_wave,
        name=name,
        questionnaire_data=path.read_bytes(),
        source_name=path.name,
        actor=_actor(),
        survey_year=year,
        allow_learn=learn,
        open_recruitment=open_recruitment,
        modes=tuple(modes),
    )
    click.echo(f"wave {summary.name} created (draft), questionnaire {summary.questionnaire}")


def _set_status(name: str, status: str) -> None:
    from survey.models import WaveStatus
    from survey.services import set_wave_status

    summary = _run(set_wave_status, name, WaveStatus(status), _actor())
    click.echo(f"wave {summary.name} is {summary.status}")


@wave.command("open")
@click.argument("name")
def wave_open(name: str) -> None:
    """Open wave NAME for answers."""
    _set_status(name, "open")


@wave.command("close")
@click.argument("name")
def wave_close(name: str) -> None:
    """Close wave NAME."""
    _set_status(name, "closed")


@wave.command("list")
def wave_list() -> None:
    """List waves with their counts."""
    from survey.services import list_waves

    rows = _run(list_waves)
    if not rows:
        click.echo("no waves (kesu wave create NAME)")
    for w in rows:
        click.echo(
            f"{w.name:<20} {w.status:<7} {w.questionnaire:<28} invitations {w.invitations:>6}  "
            f"partial {w.partial:>6}  complete {w.complete:>6}"
        )


@wave.command("invite")
@click.argument("name")
@click.option("--count", type=click.IntRange(1, 10_000), required=True)
@click.option("--stratum")
@click.option("--psu")
@click.option("--town")
@click.option("--mode", default="web", show_default=True)
@click.option("--base-url", help="Start of the printed links (default: PUBLIC_BASE_URL).")
def wave_invite(
    name: str,
    count: int,
    stratum: str | None,
    psu: str | None,
    town: str | None,
    mode: str,
    base_url: str | None,
) -> None:
    """Create COUNT invitations for wave NAME and print their links."""
    from survey.db import database
    from survey.services import create_invitations

    tokens = _run(
        create_invitations,
        name,
        count,
        actor=_actor(),
        stratum=stratum,
        psu=psu,
        town=town,
        mode=mode,
    )
    if base_url is None:
        app = _app()
        base_url = str(app.config["PUBLIC_BASE_URL"])
        database(app).engine.dispose()
    base = base_url.rstrip("/")
    for token in tokens:
        click.echo(f"{base}/s/{token}")


@wave.command("rescore")
@click.argument("name")
def wave_rescore(name: str) -> None:
    """Recompute and store the score sheet of every complete response of wave NAME."""
    from survey.analysis import rescore_wave

    n = _run(rescore_wave, name, _actor())
    click.echo(f"rescored {n} complete responses of wave {name}")
