"""``kesu db``, ``kesu serve``, ``kesu user``, ``kesu wave``, ``kesu fieldwork`` and
``kesu export``: the survey's commands.

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
    from kesu.errors import KesuError
    from survey import create_app

    settings: dict[str, Any] = {"GENERATE_SECRET_KEY": True}
    settings.update(overrides)
    try:
        return create_app(settings)
    except KesuError as exc:
        raise click.ClickException(str(exc)) from None


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name in some containers
        return "cli"


def _run(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call a service with a fresh session; turn a kesu error (a service's
    :class:`survey.errors.SurveyError`, a table's, a questionnaire's...) into a clean CLI
    error."""
    from kesu.errors import KesuError
    from survey.db import database

    app = _app()
    db = database(app)
    with app.app_context():
        session = db.sessionmaker()
        try:
            return fn(session, *args, **kwargs)
        except KesuError as exc:
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
    """Staff accounts, roles on waves and API tokens."""


_ROLE = click.Choice(["admin", "statistician", "interviewer", "viewer", "proctor", "principal"])


def _new_password() -> str:
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@user.command("create")
@click.argument("username")
@click.option("--role", type=_ROLE, default="viewer", show_default=True,
              help="The own role (viewer: only the waves of `kesu user grant`).")  # fmt: skip
@click.option("--password", help="At least 12 characters, not common (asked for when not given).")
def user_create(username: str, role: str, password: str | None) -> None:
    """Create a staff account USERNAME (least privilege unless --role is given)."""
    from survey.services import create_user

    _run(create_user, username, password or _new_password(), actor=_actor(), role=role)
    click.echo(f"user {username} created (role {role})")


@user.command("list")
def user_list() -> None:
    """List the staff accounts: role, state, wave roles and open sessions."""
    from survey.users import list_users

    accounts = _run(list_users)
    if not accounts:
        click.echo("no users (kesu user create NAME --role admin)")
    for a in accounts:
        waves = ", ".join(f"{w}:{r}" for w, r in a.waves) or "-"
        seen = a.last_seen.strftime("%Y-%m-%d %H:%M UTC") if a.last_seen else "-"
        state = "active" if a.active else "DISABLED"
        click.echo(f"{a.username:<24} {a.role:<13} {state:<8} sessions {a.sessions:>2} "
                   f"(last seen {seen})  waves {waves}")  # fmt: skip


@user.command("disable")
@click.argument("username")
def user_disable(username: str) -> None:
    """Disable USERNAME: no login, open sessions end now, API tokens are refused."""
    from survey.users import set_active

    ended = _run(set_active, username, False, actor=_actor())
    click.echo(f"user {username} disabled ({ended} open session(s) ended)")


@user.command("enable")
@click.argument("username")
def user_enable(username: str) -> None:
    """Enable USERNAME again."""
    from survey.users import set_active

    _run(set_active, username, True, actor=_actor())
    click.echo(f"user {username} enabled")


@user.command("password")
@click.argument("username")
@click.option("--password", help="The new password (asked for when not given).")
def user_password(username: str, password: str | None) -> None:
    """Set USERNAME's password; every open session of theirs ends."""
    from survey.services import set_password

    ended = _run(set_password, username, password or _new_password(), actor=_actor())
    click.echo(f"password of {username} changed ({ended} open session(s) ended)")


@user.command("role")
@click.argument("username")
@click.argument("role", type=_ROLE)
def user_role(username: str, role: str) -> None:
    """Change USERNAME's own role."""
    from survey.users import set_role

    _run(set_role, username, role, actor=_actor())
    click.echo(f"user {username} is now {role}")


@user.command("grant")
@click.argument("username")
@click.argument("wave_name", metavar="WAVE")
@click.argument("role", type=_ROLE)
def user_grant(username: str, wave_name: str, role: str) -> None:
    """Give USERNAME the ROLE on WAVE."""
    from survey.users import grant

    _run(grant, wave_name, username, role, actor=_actor())
    click.echo(f"{username} is {role} on wave {wave_name}")


@user.command("revoke")
@click.argument("username")
@click.argument("wave_name", metavar="WAVE")
def user_revoke(username: str, wave_name: str) -> None:
    """Remove USERNAME from WAVE."""
    from survey.users import revoke

    _run(revoke, wave_name, username, actor=_actor())
    click.echo(f"{username} removed from wave {wave_name}")


@user.command("token")
@click.argument("username")
@click.option("--label", default="", help="What the token is for (shown in the audit log).")
@click.option("--revoke-all", is_flag=True, help="Revoke USERNAME's tokens instead.")
def user_token(username: str, label: str, revoke_all: bool) -> None:
    """Create a read-only API token for USERNAME (printed once; stored hashed)."""
    from survey.users import create_api_token
    from survey.users import revoke_api_tokens

    if revoke_all:
        n = _run(revoke_api_tokens, username, actor=_actor())
        click.echo(f"revoked {n} token(s) of {username}")
        return
    click.echo(_run(create_api_token, username, actor=_actor(), label=label))


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


def _base_url(given: str | None) -> str:
    """``--base-url``, else the configured ``PUBLIC_BASE_URL``: the address respondents open
    (the CLI serves nothing, so it cannot know the served port; it never guesses one)."""
    from survey.db import database

    if given is None:
        app = _app()
        given = app.config.get("PUBLIC_BASE_URL")
        database(app).engine.dispose()
    if not given:
        raise click.ClickException(
            "links need the address respondents open: give --base-url https://HOST[:PORT] "
            "or set KESU_PUBLIC_BASE_URL (on the web the wave page's links use the address "
            "the server is really reached at)"
        )
    if not str(given).startswith(("http://", "https://")):
        raise click.ClickException(f"--base-url must start with http:// or https://: {given!r}")
    return str(given).rstrip("/")


@wave.command("invite")
@click.argument("name")
@click.option("--count", type=click.IntRange(1, 10_000), required=True)
@click.option("--stratum")
@click.option("--psu")
@click.option("--town")
@click.option("--mode", default="web", show_default=True)
@click.option("--base-url", help="Start of the printed links (default: KESU_PUBLIC_BASE_URL).")
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
    base = _base_url(base_url)
    for token in tokens:
        click.echo(f"{base}/s/{token}")


@wave.command("rescore")
@click.argument("name")
def wave_rescore(name: str) -> None:
    """Recompute and store the score sheet of every complete response of wave NAME."""
    from survey.analysis import rescore_wave

    n = _run(rescore_wave, name, _actor())
    click.echo(f"rescored {n} complete responses of wave {name}")


@wave.command("import")
@click.argument("name")
@click.argument("sample", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--mode",
    type=click.Choice(["capi", "web", "cati", "phone", "paper"]),
    default="capi",
    show_default=True,
    help="Mode of the cases (a 'mode' column overrides it).",
)
def wave_import(name: str, sample: Path, mode: str) -> None:
    """Import a drawn sample (CSV of `kesu sample draw`) as wave NAME's cases."""
    from survey.sample import import_sample

    result = _run(import_sample, name, sample.read_bytes(), actor=_actor(), mode=mode)
    towns = ", ".join(f"{t or '-'} {n}" for t, n in sorted(result.towns.items()))
    click.echo(f"imported {result.count} cases into wave {name} ({towns})")


@wave.command("assign")
@click.argument("name")
@click.argument("username")
@click.option("--household", "households", multiple=True, help="Household id (repeatable).")
@click.option("--town")
@click.option("--psu")
def wave_assign(
    name: str, username: str, households: tuple[str, ...], town: str | None, psu: str | None
) -> None:
    """Assign cases of wave NAME to interviewer USERNAME ('-' unassigns)."""
    from survey.fieldwork import assign

    who = None if username == "-" else username
    n = _run(assign, name, who, actor=_actor(), household_ids=households, town=town, psu=psu)
    click.echo(f"{n} case(s) assigned to {username}")


@wave.command("links")
@click.argument("name")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--pdf", is_flag=True, help="A4 invitation slips with QR codes instead of a CSV.")
@click.option("--town", help="Only this town (code or name, e.g. fotang or 佛堂镇).")
@click.option(
    "--all-modes",
    is_flag=True,
    help="PDF: also the face-to-face (CAPI) cases (default: web invitations only).",
)
@click.option("--base-url", help="Start of the links (default: KESU_PUBLIC_BASE_URL).")
def wave_links(name: str, output: Path, pdf: bool, town: str | None, all_modes: bool,
               base_url: str | None) -> None:  # fmt: skip
    """Write wave NAME's invitation links (CSV, UTF-8 with BOM) or slips with QR codes (PDF:
    web-mode invitations only unless --all-modes)."""
    from survey.sample import invitation_links
    from survey.sample import links_csv
    from survey.sample import qr_sheet_pdf
    from survey.services import audit
    from survey.services import get_wave
    from survey.services import questionnaire_of
    from survey.towns import town_code
    from survey.towns import town_labels

    base = _base_url(base_url)

    def collect(session: Any) -> Any:
        from survey.db import begin_write
        from survey.invitations import mark_sent

        begin_write(session)
        q = questionnaire_of(get_wave(session, name).questionnaire_version)
        labels = town_labels(q)
        code = town_code(q, town) if town else None
        mode = "web" if pdf and not all_modes else None
        found = invitation_links(session, name, base, mode=mode, town=code)
        # invitation status "sent" for exactly the links written (survey.invitations)
        mark_sent(session, get_wave(session, name), ids=[link.invitation_id for link in found])
        audit(session, _actor(), "wave.links", name, count=len(found), pdf=pdf)
        session.commit()
        return found, labels, q.title.get("zh-CN")

    links, labels, heading = _run(collect)
    data = (qr_sheet_pdf(links, title=name, town_labels=labels, survey_title=heading)
            if pdf else links_csv(links))  # fmt: skip
    output.write_bytes(data)
    click.echo(f"wrote {len(links)} invitation(s) to {output}")


@wave.command("units")
@click.argument("name")
@click.argument("units_file", required=False, type=click.Path(exists=True, dir_okay=False,
                                                              path_type=Path))  # fmt: skip
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the unit links with their progress (CSV, UTF-8 with BOM).")  # fmt: skip
@click.option("--base-url", help="Start of the links (default: KESU_PUBLIC_BASE_URL).")
def wave_units(name: str, units_file: Path | None, output: Path | None,
               base_url: str | None) -> None:  # fmt: skip
    """Unit links of anonymous wave NAME: create/update them from UNITS_FILE (CSV with
    unit, label, quota), then list them (or write them with -o). The links start with
    --base-url or KESU_PUBLIC_BASE_URL; without either nothing is changed and the command
    says so."""
    from survey.anonymity import parse_units
    from survey.anonymity import save_unit_links
    from survey.anonymity import unit_links
    from survey.anonymity import unit_links_csv

    base = _base_url(base_url)  # first: a missing address changes nothing
    if units_file is not None:
        units = _run(lambda _s: parse_units(units_file.read_bytes()))
        _run(save_unit_links, name, units, actor=_actor())
    links = _run(unit_links, name)
    if output is not None:
        output.write_bytes(unit_links_csv(links, base))
        click.echo(f"wrote {len(links)} unit link(s) to {output}")
        return
    for link in links:
        click.echo(
            f"{link.unit:<16} {link.label:<20} quota {link.quota:>5}  complete {link.complete:>5}  "
            f"{base}/u/{link.token}"
        )


@wave.command("settings")
@click.argument("name")
@click.argument("changes", required=False)
def wave_settings_cmd(name: str, changes: str | None) -> None:
    """Show wave NAME's fieldwork settings, or change them with a JSON object."""
    import json

    from survey.fieldwork import update_settings
    from survey.fieldwork import wave_settings
    from survey.services import get_wave

    if changes:
        try:
            parsed = json.loads(changes)
        except ValueError:
            raise click.ClickException("CHANGES must be a JSON object") from None
        if not isinstance(parsed, dict):
            raise click.ClickException("CHANGES must be a JSON object")
        settings = _run(update_settings, name, parsed, actor=_actor())
    else:
        settings = _run(lambda s: wave_settings(get_wave(s, name)))
    click.echo(json.dumps(settings, ensure_ascii=False, indent=1))


@click.group("fieldwork")
def fieldwork() -> None:
    """Fieldwork monitor and the review of responses."""


def _pct(value: float) -> str:
    return "     -" if value != value else f"{100 * value:5.1f}%"


@fieldwork.command("status")
@click.argument("name")
def fieldwork_status_cmd(name: str) -> None:
    """AAPOR rates, completes against targets and quality flags of wave NAME."""
    from survey.monitoring import fieldwork_status
    from survey.quality import FLAG_NAMES

    s = _run(fieldwork_status, name)
    counts = "  ".join(f"{k} {v}" for k, v in s.overall.rates.counts.items())
    click.echo(f"wave {s.wave}: {s.overall.cases} sampled cases, {s.overall.completes} "
               f"completes (+{s.open_link_completes} open link); {counts}")  # fmt: skip
    flags = " ".join(f"{f[:10]:>10}" for f in FLAG_NAMES)
    header = f"{'':<16} {'cases':>6} {'done':>5} {'target':>6}   RR1    RR3  COOP1   REF1   CON1"
    for title, rows in (("wave", [s.overall]), ("town", s.by_town),
                        ("interviewer", s.by_interviewer)):  # fmt: skip
        click.echo(f"\n{title}\n{header}  median {flags}")
        for r in rows:
            rates = " ".join(_pct(getattr(r.rates, k))
                             for k in ("rr1", "rr3", "coop1", "ref1", "con1"))  # fmt: skip
            target = "" if r.target is None else str(r.target)
            median = "-" if r.median_minutes != r.median_minutes else f"{r.median_minutes:.1f}"
            counts_ = " ".join(f"{r.flags[f]:>10}" for f in FLAG_NAMES)
            click.echo(f"{(r.key or '-')[:16]:<16} {r.cases:>6} {r.completes:>5} {target:>6} "
                       f"{rates} {median:>7} {counts_}")  # fmt: skip
    click.echo("\ntargets (town x group: completes / target)")
    for t in s.targets:
        click.echo(f"{t.town or '-':<16} {t.group or 'all':<12} {t.completes:>6} / {t.target}")


@fieldwork.command("review")
@click.argument("name")
@click.argument("response_id", type=int)
@click.option("--reject/--accept", required=True)
@click.option("--reason", required=True, help="Why (kept in the audit log).")
def fieldwork_review(name: str, response_id: int, reject: bool, reason: str) -> None:
    """Accept or reject response RESPONSE_ID of wave NAME (never deleted)."""
    from survey.monitoring import review_response

    decision = "rejected" if reject else "accepted"
    _run(review_response, response_id, decision, reason, actor=_actor(), wave_name=name)
    click.echo(f"response {response_id} {decision}")


@click.command("export")
@click.argument("name")
@click.option(
    "--format",
    "fmt",
    required=True,
    type=click.Choice(["csv", "sav", "dta", "codebook-csv", "codebook-pdf", "cases"]),
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
def export(name: str, fmt: str, output: Path) -> None:
    """Export wave NAME's responses (or codebook, or cases file) to OUTPUT, streamed."""
    from survey.export import export_stream
    from survey.services import audit

    def write(session: Any) -> int:
        audit(session, _actor(), "wave.export", name, format=fmt)
        session.commit()
        size = 0
        with open(output, "wb") as fh:
            for chunk in export_stream(session, name, fmt):
                fh.write(chunk)
                size += len(chunk)
        return size

    size = _run(write)
    click.echo(f"wrote {output} ({size:,} bytes)")
