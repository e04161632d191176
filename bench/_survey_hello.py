"""The ceiling for bench_survey_load.py: a bare Flask "hello" app, served by the same
gunicorn setup as the survey (``gunicorn --chdir bench _survey_hello:app``)."""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "hello"
