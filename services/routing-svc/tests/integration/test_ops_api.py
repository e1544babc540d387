"""The ops API: directory and rules CRUD, validation as problem+json, explain, YAML in and out."""

from __future__ import annotations

from typing import Any

import httpx
import yaml

EN = {"Accept-Language": "en"}


def upload(text: str) -> dict[str, Any]:
    return {"file": ("routing.yaml", text.encode(), "application/yaml")}


def square(area_id: str, lon: float, lat: float, size: float) -> dict[str, Any]:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {
        "type": "Feature",
        "id": area_id,
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


async def test_the_directory_is_seeded_and_editable(client: httpx.AsyncClient) -> None:
    listed = (await client.get("/directory/pisa")).json()
    assert {o["id"] for o in listed} == {
        "urp",
        "sepi",
        "pisamo",
        "patrimonio",
        "farmacie-comunali",
        "port-authority",
    }
    added = await client.put(
        "/directory/pisa/organizations/acque",
        json={"name": "Acque S.p.A.", "kind": "partner", "email": "info@acque.example"},
    )
    assert added.status_code == 200, added.text
    got = (await client.get("/directory/pisa/organizations/acque")).json()
    assert got["name"] == "Acque S.p.A." and got["accepts_cases"] is True

    bad = await client.put(
        "/directory/pisa/organizations/acque",
        json={"name": "Acque", "kind": "consortium", "email": "not-an-email"},
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"kind", "email"}

    in_use = await client.delete("/directory/pisa/organizations/pisamo")
    assert in_use.status_code == 409
    assert "parcheggi" in in_use.json()["detail"]
    assert (await client.delete("/directory/pisa/organizations/acque")).status_code == 204
    assert (await client.get("/directory/pisa/organizations/acque")).status_code == 404
    assert (await client.get("/directory/atlantide")).status_code == 404


async def test_a_closed_organization_is_passed_over_until_it_reopens(
    client: httpx.AsyncClient,
) -> None:
    body = {"tenant": "pisa", "kind": "reclamo", "channel": "web", "category": "parcheggi"}
    pisamo = (await client.get("/directory/pisa/organizations/pisamo")).json()
    closed = {k: v for k, v in pisamo.items() if k != "id"} | {"accepts_cases": False}
    await client.put("/directory/pisa/organizations/pisamo", json=closed)

    explained = (await client.post("/routing/explain", json=body)).json()
    assert explained["outcome"] == "routing_failed"
    assert "Pisamo S.r.l. does not accept cases" in explained["rules"][1]["reasons"]

    await client.put("/directory/pisa/organizations/pisamo", json=closed | {"accepts_cases": True})
    assert (await client.post("/routing/explain", json=body)).json()["organization"] == "pisamo"


async def test_explain_says_who_which_rule_and_why_without_assigning(
    client: httpx.AsyncClient,
) -> None:
    body = {
        "tenant": "pisa",
        "kind": "segnalazione",
        "channel": "app",
        "category": "segnalazioni",
        "description": "Auto in sosta sulle strisce blu da una settimana",
        "location": {"lat": 43.7167, "lon": 10.4017},
    }
    explained = (await client.post("/routing/explain", json=body)).json()
    assert explained["outcome"] == "assigned"
    assert explained["organization"] == "pisamo"
    assert explained["rule_id"] == "parole-parcheggi"
    assert explained["rule_version"] == 1
    assert "the description mentions 'sosta', 'strisce blu'" in explained["reasons"]
    port_rule = next(r for r in explained["rules"] if r["rule_id"] == "segnalazioni-nel-porto")
    assert not port_rule["matched"]
    assert "is outside ['porto-di-pisa']" in port_rule["reasons"][0]

    in_port = body | {"location": {"lat": 43.68, "lon": 10.276}}
    assert (await client.post("/routing/explain", json=in_port)).json()["rule_id"] == (
        "segnalazioni-nel-porto"
    )
    declined = body | {"exclude": ["pisamo"]}
    assert (await client.post("/routing/explain", json=declined)).json()["organization"] == "urp"
    invalid = await client.post("/routing/explain", json=body | {"kind": "lamentela"})
    assert invalid.status_code == 422 and invalid.json()["errors"][0]["field"] == "kind"
    unknown_version = await client.post("/routing/explain", json=body | {"version": 9})
    assert unknown_version.status_code == 404


async def test_invalid_rule_sets_are_refused_naming_the_field(client: httpx.AsyncClient) -> None:
    current = (await client.get("/rules/pisa")).json()
    base = {k: current[k] for k in ("default", "areas", "rules")}

    unknown = base | {"rules": [{"id": "x", "organization": "nessuno"}, *base["rules"]]}
    refused = await client.put("/rules/pisa", json=unknown, headers=EN)
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["errors"] == [
        {"field": "rules.0.organization", "message": "unknown organization 'nessuno'"}
    ]
    # Italian unless the caller asks for English (issue 26)
    italian = await client.put("/rules/pisa", json=unknown)
    assert italian.json()["title"] == "Regole non valide"
    assert italian.json()["errors"] == [
        {"field": "rules.0.organization", "message": "ufficio sconosciuto: 'nessuno'"}
    ]

    port = base["areas"]["features"][0]
    litorale = square("litorale", 10.25, 43.6, 0.1)  # Marina di Pisa and Tirrenia: holds the port
    areas = {"type": "FeatureCollection", "features": [port, litorale]}
    overlapping = await client.put("/rules/pisa", json=base | {"areas": areas}, headers=EN)
    assert overlapping.json()["errors"] == [
        {"field": "areas.features.1", "message": "area 'litorale' overlaps area 'porto-di-pisa'"}
    ]

    shadowed = base | {
        "rules": [
            *base["rules"],
            {"id": "again", "organization": "sepi", "categories": ["tributi"]},
        ]
    }
    unreachable = await client.put("/rules/pisa", json=shadowed, headers=EN)
    assert unreachable.json()["errors"] == [
        {
            "field": "rules.13",
            "message": "unreachable: every case it matches goes to sepi by 'tributi'",
        }
    ]

    not_a_polygon = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "id": "p", "geometry": {"type": "Point", "coordinates": [10, 43]}}
        ],
    }
    malformed = await client.put("/rules/pisa", json=base | {"areas": not_a_polygon})
    assert malformed.status_code == 422
    assert malformed.json()["errors"][0]["field"] == "areas.features.0.geometry"
    assert malformed.json()["errors"][0]["message"] == (
        "un'area deve essere un Polygon o un MultiPolygon, non Point"
    )
    blank = base | {"rules": [{"id": "b", "organization": "sepi", "keywords": [" "]}]}
    for language, said in (
        ("it", "una parola chiave non può essere vuota"),
        ("en", "a keyword cannot be blank"),
    ):
        refused = await client.put("/rules/pisa", json=blank, headers={"Accept-Language": language})
        assert refused.status_code == 422
        assert [e["message"] for e in refused.json()["errors"]] == [said]

    assert (await client.get("/rules/pisa")).json()["version"] == 1


async def test_rules_are_published_as_whole_versions_with_their_warnings(
    client: httpx.AsyncClient,
) -> None:
    current = (await client.get("/rules/pisa")).json()
    base = {k: current[k] for k in ("default", "areas", "rules")}
    same = await client.put("/rules/pisa", json=base)
    assert same.json() == {"version": 1, "published": False, "warnings": []}

    fallback = {"id": "tributi-urp", "organization": "urp", "categories": ["tributi"]}
    rules = base["rules"]
    with_fallback = base | {"rules": [*rules[:1], fallback, *rules[1:]]}
    checked = (await client.post("/rules/pisa/check", json=with_fallback)).json()
    assert checked["ok"] is True and checked["warnings"][0]["field"] == "rules.1"

    published = await client.put("/rules/pisa", json=with_fallback | {"actor": "ops.bianchi"})
    assert published.json()["version"] == 2 and published.json()["published"] is True
    assert "fallback" in published.json()["warnings"][0]["message"]

    stale = await client.put("/rules/pisa", json=base | {"based_on": 1})
    assert stale.status_code == 409
    first = (await client.get("/rules/pisa/versions/1")).json()
    assert first["rules"] == base["rules"] and first["version"] == 1
    assert (await client.get("/rules/pisa/versions/7")).status_code == 404


async def test_export_then_import_round_trips_and_an_edit_becomes_a_new_version(
    client: httpx.AsyncClient,
) -> None:
    exported = await client.get("/routing/pisa/export")
    assert exported.headers["content-type"].startswith("application/yaml")
    document = yaml.safe_load(exported.text)
    assert document["tenant"] == "pisa" and document["version"] == 1
    assert len(document["organizations"]) == 6

    unchanged = await client.post("/routing/pisa/import", files=upload(exported.text))
    assert unchanged.json()["published"] is False

    document["organizations"].append(
        {"id": "acque", "name": "Acque S.p.A.", "kind": "partner", "email": "info@acque.example"}
    )
    document["rules"].insert(
        0,
        {
            "id": "acqua",
            "organization": "acque",
            "categories": ["segnalazioni"],
            "keywords": ["acqua", "fognatura"],
        },
    )
    imported = await client.post(
        "/routing/pisa/import", params={"actor": "git"}, files=upload(yaml.safe_dump(document))
    )
    assert imported.status_code == 200, imported.text
    assert imported.json()["version"] == 2
    body = {
        "tenant": "pisa",
        "kind": "segnalazione",
        "channel": "web",
        "category": "segnalazioni",
        "description": "Perdita d'acqua in via Roma",
    }
    assert (await client.post("/routing/explain", json=body)).json()["organization"] == "acque"

    broken = await client.post("/routing/pisa/import", files=upload("rules: [unterminated"))
    assert broken.status_code == 422 and broken.json()["errors"][0]["field"] == "document"
    wrong_tenant = await client.post("/routing/torino/import", json=document)
    assert wrong_tenant.json()["errors"][0]["field"] == "tenant"
    document["rules"][0]["organization"] = "nessuno"
    invalid = await client.post("/routing/pisa/import", json=document)
    assert invalid.json()["errors"][0]["field"] == "rules.0.organization"
    assert (await client.get("/rules/pisa")).json()["version"] == 2
