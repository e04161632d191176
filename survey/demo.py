"""The main job behind ``make run``: migrate, load the default questionnaire, open a demo
wave filled with simulated answers, create an administrator and serve.

``run_demo()`` is the hook (``kesu run`` and ``kesu serve --demo`` call it). The demo wave
is clearly labelled: its name is ``demo``, every invitation carries ``synthetic: true``,
and its dashboard and PDF report say on every page that the data are simulated. The
answers come from :func:`reports.demo.simulate_wave` (a PPS sample of the synthetic Yiwu
frame, AAPOR-coded fieldwork, one adult per household by Kish grid), the same simulation
as ``kesu demo``.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import click
import numpy as np
from flask import Flask
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from questionnaires import DEFAULT_QUESTIONNAIRE
from questionnaires import Questionnaire
from reports.demo import SimulatedWave
from reports.demo import simulate_wave
from scoring import score_responses
from survey import create_app
from survey.capacity.demo import demo_reporter
from survey.capacity.demo import seed_capacity_rounds
from survey.db import begin_write
from survey.db import database
from survey.db import upgrade
from survey.errors import NotFoundError
from survey.models import LOCAL_TIME
from survey.models import Invitation
from survey.models import Response
from survey.models import ResponseStatus
from survey.models import User
from survey.models import WaveStatus
from survey.services import audit
from survey.services import create_invitations
from survey.services import create_user
from survey.services import create_wave
from survey.services import get_wave
from survey.services import new_token
from survey.services import questionnaire_of
from survey.services import set_password
from survey.services import set_wave_status

logger = logging.getLogger(__name__)

DEMO_WAVE = "demo"
DEMO_ADMIN = "admin"
#: size of the simulated demo fieldwork: villages/communities and households in each
DEMO_PSUS = 100
DEMO_HOUSEHOLDS_PER_PSU = 25
DEMO_SEED = 2025


@dataclass(frozen=True)
class DemoInfo:
    """Links and the login printed for the person running the demo."""

    wave: str
    respondent_url: str
    open_url: str
    admin_url: str
    username: str
    password: str
    report_url: str = ""
    dashboard_url: str = ""
    simulated: int = 0
    capacity_url: str = ""
    reporter: str = ""
    reporter_password: str = ""

    def lines(self) -> list[str]:
        """The lines ``make run`` prints, Chinese first (the staff's language), then English."""
        out = [
            f"演示调查“{self.wave}”已开放（{self.simulated} 份模拟面访，模拟数据）。",
            f"kesu demo wave '{self.wave}' is open "
            f"({self.simulated} simulated complete interviews, synthetic data).",
            f"  答题链接（一户样本户的选中成人，网上作答）respondent link "
            f"(the selected adult of a sampled household, on the web): {self.respondent_url}",
            f"  公开链接（每个浏览器一次）open link (anyone, once per browser): {self.open_url}",
            f"  管理后台 admin: {self.admin_url}  用户 user {self.username}  "
            f"密码 password {self.password}",
        ]
        if self.dashboard_url:
            out.append(f"  实时结果 live results: {self.dashboard_url}")
        if self.report_url:
            out.append(f"  PDF 报告（需先登录）PDF report (after login): {self.report_url}")
        if self.capacity_url:
            out.append(
                f"  能力建设指标填报（模拟2021—2025年度）capacity reporting rounds (simulated): "
                f"{self.capacity_url}"
            )
        if self.reporter:
            out.append(
                f"  填报单位账号（稠城街道，尚未报送）unit reporter (Choucheng Street, not yet "
                f"reported): 用户 user {self.reporter}  密码 password {self.reporter_password}"
            )
        return out


def prepare_demo(
    app: Flask,
    base_url: str,
    *,
    questionnaire: Path = DEFAULT_QUESTIONNAIRE,
    wave_name: str = DEMO_WAVE,
    username: str = DEMO_ADMIN,
    simulate_psus: int = DEMO_PSUS,
    households_per_psu: int = DEMO_HOUSEHOLDS_PER_PSU,
) -> DemoInfo:
    """Migrate the database, create (or reuse) an open demo wave, fill it once with
    simulated interviews (``simulate_psus=0``: none), keep one unanswered invitation for the
    person trying the survey, and give the ``admin`` user a fresh random password (printed
    once)."""
    db = database(app)
    upgrade(db.engine)
    actor = "demo"
    with app.app_context():
        session = db.sessionmaker()
        try:
            try:
                wave = get_wave(session, wave_name)
            except NotFoundError:
                create_wave(
                    session,
                    name=wave_name,
                    questionnaire_data=questionnaire.read_bytes(),
                    source_name=questionnaire.name,
                    actor=actor,
                    open_recruitment=True,
                    modes=("web", "capi"),
                )
                wave = get_wave(session, wave_name)
            if wave.status is not WaveStatus.OPEN:
                set_wave_status(session, wave_name, WaveStatus.OPEN, actor)
            wave = get_wave(session, wave_name)
            open_token = wave.open_token or ""
            session.rollback()
            if simulate_psus > 0 and not _has_simulated(session, wave.id):
                q = questionnaire_of(wave.questionnaire_version)
                rng = np.random.default_rng(DEMO_SEED)
                simulated = simulate_wave(
                    q, rng, n_psu=simulate_psus, households_per_psu=households_per_psu,
                    survey_year=wave.survey_year,
                )  # fmt: skip
                seed_simulated_wave(session, wave_name, q, simulated, actor=actor, rng=rng)
            count = _simulated_completes(session, wave.id)
            token = _web_followup_case(session, wave.id, actor=actor)
            if token is None:
                token = _unanswered_invitation(session, wave.id)
            if token is None:
                token = create_invitations(session, wave_name, 1, actor=actor)[0]
            password = secrets.token_urlsafe(12)
            exists = session.scalars(select(User).where(User.username == username)).first()
            session.rollback()
            if exists is None:
                create_user(session, username, password, actor=actor, role="admin")
            else:
                set_password(session, username, password, actor=actor)
            seed_capacity_rounds(session, actor=actor)
            reporter_password = secrets.token_urlsafe(12)
            reporter = demo_reporter(session, reporter_password, actor=actor)
        finally:
            session.close()
    # the dashboard's figures computed now, not on its first view (kept on disk)
    from survey.dashboard import store_figures

    store_figures(app, wave_name)
    base = base_url.rstrip("/")
    return DemoInfo(
        wave=wave_name,
        respondent_url=f"{base}/s/{token}",
        open_url=f"{base}/o/{open_token}",
        admin_url=f"{base}/admin/",
        username=username,
        password=password,
        report_url=f"{base}/admin/waves/{wave_name}/report.pdf",
        dashboard_url=f"{base}/admin/waves/{wave_name}/dashboard",
        simulated=count,
        # percent-encoded: a terminal ends a link at its first CJK character
        capacity_url=f"{base}/capacity/rounds/{quote('2025年度')}",
        reporter=reporter,
        reporter_password=reporter_password,
    )


def _has_simulated(session: Session, wave_id: int) -> bool:
    found = session.scalars(
        select(Invitation.id)
        .where(Invitation.wave_id == wave_id, Invitation.attributes["synthetic"].as_boolean())
        .limit(1)
    ).first()
    session.rollback()
    return found is not None


def _simulated_completes(session: Session, wave_id: int) -> int:
    count = session.scalar(
        select(func.count(Response.id))
        .join(Invitation, Invitation.id == Response.invitation_id)
        .where(
            Response.wave_id == wave_id,
            Response.status == ResponseStatus.COMPLETE,
            Response.mode == "capi",
            Invitation.attributes["synthetic"].as_boolean(),
        )
    )
    session.rollback()
    return int(count or 0)


def _web_followup_case(session: Session, wave_id: int, *, actor: str) -> str | None:
    """The printed respondent link: a sampled household of the simulation whose selected
    adult refused the face-to-face interview (2.11) and is offered the web questionnaire
    instead (mode ``web``, a common mixed-mode follow-up). The case keeps its selection
    probabilities, so an answer through the link enters the design-weighted estimates of
    the dashboard and the report. The same case is reused until it is answered; None when
    the wave has no such case (no simulated fieldwork)."""
    begin_write(session)
    unanswered = (
        select(Invitation)
        .outerjoin(Response, Response.invitation_id == Invitation.id)
        .where(
            Invitation.wave_id == wave_id,
            Invitation.open_link.is_(False),
            Response.id.is_(None),
            Invitation.attributes["synthetic"].as_boolean(),
        )
        .order_by(Invitation.id)
    )
    case = session.scalars(
        unanswered.where(Invitation.attributes["web_followup"].as_boolean()).limit(1)
    ).first()
    if case is None:
        for candidate in session.scalars(unanswered.where(Invitation.mode == "capi")):
            attrs = candidate.attributes or {}
            if attrs.get("disposition") == "2.11" and attrs.get("base_weight"):
                case = candidate
                break
        if case is None:
            session.rollback()
            return None
        case.mode = "web"
        case.attributes = {**case.attributes, "web_followup": True}
        audit(session, actor, "case.mode", f"invitation:{case.id}", mode="web",
              note="demo: web follow-up of a refusal")  # fmt: skip
    token = case.token
    session.commit()
    return token


def _unanswered_invitation(session: Session, wave_id: int) -> str | None:
    """The newest real (not simulated, not open-link) invitation nobody has started."""
    token = session.scalars(
        select(Invitation.token)
        .outerjoin(Response, Response.invitation_id == Invitation.id)
        .where(
            Invitation.wave_id == wave_id,
            Invitation.open_link.is_(False),
            Response.id.is_(None),
            ~func.coalesce(Invitation.attributes["synthetic"].as_boolean(), False),
        )
        .order_by(Invitation.id.desc())
        .limit(1)
    ).first()
    session.rollback()
    return token


def _demo_interviewers(session: Session, towns: list[str]) -> dict[str, int]:
    """The id of each town's demo interviewer (``demo-<town>``, made disabled when new).
    The new accounts share one hash of a random password nobody is given: scrypt costs
    about 0.1 s, once rather than once per town."""
    out: dict[str, int] = {}
    unusable = ""
    for town in sorted(set(towns)):
        name = f"demo-{town}"[:64]
        user = session.scalars(select(User).where(User.username == name)).one_or_none()
        if user is None:
            unusable = unusable or generate_password_hash(secrets.token_urlsafe(24))
            user = User(username=name, role="interviewer", active=False, password_hash=unusable)
            session.add(user)
            session.flush()
        out[town] = user.id
    return out


def seed_simulated_wave(
    session: Session,
    wave_name: str,
    questionnaire: Questionnaire,
    simulated: SimulatedWave,
    *,
    actor: str,
    rng: np.random.Generator,
) -> int:
    """Store a simulated fieldwork round in a wave: one invitation per sampled household
    (with its stratum, PSU, town, inclusion probabilities and AAPOR outcome, marked
    ``synthetic``) and a complete, scored CAPI response per completed interview.

    Each town's households are assigned to a demo interviewer of that town (an account
    ``demo-<town>``, disabled: nobody signs in with it), so that the monitor's and the
    response browser's views by interviewer have something to show; interviews start
    between 09:00 and 20:00 Beijing time on one of the last 30 days, as field visits do.

    Returns:
        The number of responses stored.
    """
    wave = get_wave(session, wave_name)
    fw = simulated.fieldwork
    n = len(fw["household_id"])
    complete = simulated.complete
    sheet = score_responses(questionnaire, simulated.records)
    now = dt.datetime.now(dt.UTC)
    start_days = rng.uniform(1.0, 30.0, n)
    tokens = [new_token() for _ in range(n)]
    interviewers = _demo_interviewers(session, [str(t) for t in fw["town"]])
    today = now.astimezone(LOCAL_TIME).replace(hour=0, minute=0, second=0, microsecond=0)
    invitations = []
    for i in range(n):
        prob3 = float(fw["prob3"][i])
        attributes: dict[str, Any] = {
            "synthetic": True,
            "household_id": str(fw["household_id"][i]),
            "prob1": float(fw["prob1"][i]),
            "prob2": float(fw["prob2"][i]),
            "disposition": str(fw["outcome"][i]),
            "eligible_adults": int(fw["eligible_adults"][i]),
        }
        if np.isfinite(prob3):
            attributes["prob3"] = prob3
            attributes["base_weight"] = 1.0 / (attributes["prob1"] * attributes["prob2"] * prob3)
        invitations.append({
            "wave_id": wave.id, "token": tokens[i], "household_id": str(fw["household_id"][i]),
            "stratum": str(fw["stratum"][i]),
            "psu": str(fw["psu"][i]), "town": str(fw["town"][i]), "mode": "capi",
            "interviewer_id": interviewers[str(fw["town"][i])],
            "attributes": attributes, "open_link": False,
            "created_at": now - dt.timedelta(days=31),
            # the simulated final outcome, as staff would set it after the last visit
            # (a complete interview is 1.1 from its response)
            "disposition": None if complete[i] else str(fw["outcome"][i]),
        })  # fmt: skip
    begin_write(session)
    session.execute(insert(Invitation), invitations)
    rows = session.execute(
        select(Invitation.token, Invitation.id).where(Invitation.wave_id == wave.id)
    ).all()
    ids = {token: inv_id for token, inv_id in rows}
    pages = [s.id for s in questionnaire.sections]
    responses = []
    for k, i in enumerate(np.flatnonzero(complete).tolist()):
        # the day from the draw's whole part, the time of day (09:00-20:00) from its fraction
        day, fraction = divmod(float(start_days[i]), 1.0)
        started = today - dt.timedelta(days=day) + dt.timedelta(hours=9 + 11 * fraction)
        minutes = float(fw["minutes"][i])
        per_page = round(60.0 * minutes / max(len(pages), 1), 1)
        responses.append({
            "wave_id": wave.id, "invitation_id": ids[tokens[i]],
            "status": ResponseStatus.COMPLETE, "started_at": started,
            "updated_at": started + dt.timedelta(minutes=minutes),
            "completed_at": started + dt.timedelta(minutes=minutes), "mode": "capi",
            "interviewer_id": interviewers[str(fw["town"][i])],
            "duration_seconds": round(60.0 * minutes),
            "language": "zh-CN", "answers": simulated.records[k],
            "paradata": {"device": {"device": "tablet"}, "synthetic": True,
                         "seconds": {p: per_page for p in pages}},
            "score": sheet.to_dict(k), "page": pages[-1] if pages else "", "revision": len(pages),
        })  # fmt: skip
    if responses:
        session.execute(insert(Response), responses)
    audit(session, actor, "wave.simulate", wave_name, invitations=n, responses=len(responses),
          note="synthetic demo data")  # fmt: skip
    session.commit()
    logger.info("demo wave %s: %d simulated households, %d interviews", wave_name, n,
                len(responses))  # fmt: skip
    return len(responses)


def run_demo(
    host: str = "127.0.0.1",
    port: int = 5000,
    *,
    config: Mapping[str, Any] | None = None,
    serve: bool = True,
    echo: Any = None,
) -> DemoInfo:
    """The ``make run`` hook: prepare the demo (see :func:`prepare_demo`), print the links
    with ``echo`` (default: the log) and serve with the development server until Ctrl-C."""
    settings: dict[str, Any] = {"GENERATE_SECRET_KEY": True, "COOKIE_SECURE": False}
    settings.update(config or {})
    app = create_app(settings)
    info = prepare_demo(app, served_base_url(app, host, port))
    for line in info.lines():
        (echo or logger.warning)(line)
    try:
        if serve:
            app.run(host=host, port=port, threaded=True, use_reloader=False)
    finally:
        database(app).engine.dispose()
    return info


def served_base_url(app: Flask, host: str, port: int) -> str:
    """The start of the printed links: ``PUBLIC_BASE_URL`` when configured, else the address
    really served (``host`` and the port actually bound; a wildcard host is printed as
    127.0.0.1, reachable from this machine)."""
    configured = app.config.get("PUBLIC_BASE_URL")
    if configured:
        return str(configured).rstrip("/")
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    if ":" in shown:  # an IPv6 literal
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def _free_port(host: str, preferred: int) -> int:
    """``preferred`` if nothing listens there, else a free port chosen by the system."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, preferred))
            return preferred
        except OSError:
            pass
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, envvar="KESU_PORT",
              help="Port to serve on (another free port is used if it is taken).")  # fmt: skip
@click.option("--no-serve", is_flag=True, help="Prepare the demo wave and exit.")
def run(host: str, port: int, no_serve: bool) -> None:
    """The main job: database, default questionnaire, a demo wave of simulated
    interviews, then the web survey on 127.0.0.1 (主任务：演示调查与实时结果)."""
    chosen = _free_port(host, port)
    if chosen != port:
        click.echo(f"port {port} is taken; serving on {chosen}", err=True)
    click.echo("preparing the demo wave (synthetic data) ...", err=True)
    run_demo(host, chosen, serve=not no_serve, echo=click.echo)
