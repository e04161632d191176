"""Offline CAPI on the server: the device key and bundle, and the outbox upload
(idempotent on the instance id, 409 for reassigned, closed or stale cases, 400 for malformed
bodies, answers through the online validation)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from survey_testlib import FEATURES_PAGES
from test_fieldwork import Field
from test_fieldwork import field  # noqa: F401 - the fixture

from survey.fieldwork import assign
from survey.models import HouseholdRoster
from survey.models import OfflineSubmission
from survey.models import Response
from survey.models import ResponseStatus
from survey.models import WaveStatus
from survey.services import set_wave_status


def pages(only: int | None = None) -> list[dict[str, Any]]:
    out = []
    for page, data in FEATURES_PAGES.items():
        answers = {k[2:]: v for k, v in data.items() if v != ""}
        answers = {
            k: int(v) if k in ("birth_year", "farm_years") else v for k, v in answers.items()
        }
        out.append({"page": page, "answers": answers})
    return out[:only] if only else out


def upload(client: Any, case_id: int, instance: str, base: int | None, **extra: Any) -> Any:
    body = {"instance_id": instance, "case_id": case_id, "base_revision": base,
            "roster": [{"label": "wang", "sex": "1", "age": 45}], "selected": "wang",
            "pages": pages(), "language": "zh-CN", **extra}  # fmt: skip
    return client.post("/field/api/submissions", json=body)


def test_key_and_bundle(field: Field) -> None:  # noqa: F811 - the imported fixture
    ivy, ian = field.login("ivy"), field.login("ian")
    k1, k2 = ivy.get("/field/api/key").get_json(), ian.get("/field/api/key").get_json()
    assert len(k1["key"]) == 44 and k1["key"] != k2["key"]  # 32 bytes base64, per user
    assert field.login("ivy").get("/field/api/key").get_json()["key"] == k1["key"]
    data = ivy.get("/field/api/bundle").get_json()
    assert sorted(c["household_id"] for c in data["cases"]) == ["v01-0001", "v01-0002"]
    form = data["forms"][data["cases"][0]["form"]]
    items = [i for s in form["sections"] for i in s["items"]]
    assert any(i["relevant"] for i in items)  # the skip logic travels as expression trees
    assert "key" not in str(form) or all("correct" not in i for i in items)  # no answer keys
    assert field.login("stan").get("/field/api/bundle").status_code == 403
    assert field.login("ivy").get("/field/offline").status_code == 200


def test_upload_once_replay_and_conflicts(field: Field) -> None:  # noqa: F811 - the imported fixture
    ivy = field.login("ivy")
    case = field.cases["v01-0001"]
    r = upload(ivy, case, "uuid:aaaa-0001", None)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["interview"] == "complete"
    again = upload(ivy, case, "uuid:aaaa-0001", None)
    assert again.status_code == 200 and again.get_json()["replay"] is True
    field.session.rollback()
    assert field.count(Response) == 1 and field.count(HouseholdRoster) == 1
    resp = field.session.scalars(select(Response)).one()
    assert resp.status is ResponseStatus.COMPLETE and resp.answers["farm_years"] == 12
    # a second device's copy of the same case: the interview is complete already
    other = upload(ivy, case, "uuid:bbbb-0002", None)
    assert other.status_code == 409 and other.get_json()["reason"] == "complete"
    # a stale edit: the first page went up from one device, the other device started from 0
    second = field.cases["v01-0002"]
    assert upload(ivy, second, "uuid:cccc-0003", None, pages=pages(1)).status_code == 200
    stale = upload(ivy, second, "uuid:dddd-0004", None)
    assert stale.status_code == 409 and stale.get_json()["reason"] == "stale"
    assert "another device" in stale.get_json()["message"]
    # reassigned meanwhile
    field.session.rollback()
    assign(field.session, field.wave, "ian", actor="ada", household_ids=["v01-0002"])
    moved = upload(ivy, second, "uuid:eeee-0005", 1)
    assert moved.status_code == 409 and moved.get_json()["reason"] == "reassigned"
    assert field.count(Response) == 2 and field.count(OfflineSubmission) == 5


def test_invalid_answers_and_closed_wave(field: Field) -> None:  # noqa: F811 - the imported fixture
    ivy = field.login("ivy")
    case = field.cases["v01-0001"]
    bad = pages()
    bad[0]["answers"]["birth_year"] = 1890  # outside the item's range: the online check
    r = upload(ivy, case, "uuid:ffff-0006", None, pages=bad)
    assert r.status_code == 422 and r.get_json()["reason"] == "invalid"
    assert "birth_year" in r.get_json()["errors"]
    field.session.rollback()
    set_wave_status(field.session, field.wave, WaveStatus.CLOSED, "test")
    closed = upload(ivy, field.cases["v01-0002"], "uuid:gggg-0007", None)
    assert closed.status_code == 409 and closed.get_json()["reason"] == "closed"


def test_malformed_bodies_are_400(field: Field) -> None:  # noqa: F811 - the fixture
    ivy = field.login("ivy")
    case = field.cases["v01-0001"]
    for body in (b"{", b"[]", b"null", b'{"instance_id": "x"}', b'"text"'):
        r = ivy.post("/field/api/submissions", data=body, content_type="application/json")
        assert r.status_code == 400, body
    for extra in ({"case_id": "1"}, {"base_revision": -1}, {"roster": [{"label": 3}]},
                  {"pages": [{"page": "about", "answers": {"sex": {"a": 1}}}]},
                  {"pages": "about"}, {"language": "fr"}, {"instance_id": "../../x"}):  # fmt: skip
        body = {"instance_id": "uuid:hhhh-0008", "case_id": case, "base_revision": None, **extra}
        r = ivy.post("/field/api/submissions", json=body)
        assert r.status_code == 400, (extra, r.get_json())
        assert r.get_json()["message"]
    # unknown fields of a page are the online path's refusal, not a 500
    odd = [{"page": "about", "answers": {"nope": "1"}}]
    r = upload(ivy, case, "uuid:iiii-0009", None, pages=odd)
    assert r.status_code in (409, 422) and r.get_json()["state"] == "refused"
    assert ivy.post("/field/api/submissions", json={**{"instance_id": "uuid:jjjj-0010"},
                    "case_id": 999999, "base_revision": None}).status_code == 404  # fmt: skip
