"""Open311 GeoReport v2 discovery, service list and service definitions on the live app."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import httpx
import pytest
from sportello_contracts.cases import Kind
from sportello_shared.tenants import load_tenants

from .conftest import ROOT

TENANTS = load_tenants(ROOT / "deploy" / "tenants")
V2 = "/open311/v2"


def xml_of(response: httpx.Response) -> ET.Element:
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert response.text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(response.content)


def errors_of(response: httpx.Response, fmt: str) -> list[dict[str, str]]:
    """The spec's error array, read from either format."""
    if fmt == "json":
        assert response.headers["content-type"] == "application/json; charset=utf-8"
        return [{k: str(v) for k, v in e.items()} for e in response.json()]
    root = xml_of(response)
    assert root.tag == "errors"
    return [{c.tag: c.text or "" for c in e} for e in root.findall("error")]


async def test_discovery_names_the_v2_endpoint_and_both_formats(
    client: httpx.AsyncClient,
) -> None:
    as_json = await client.get(f"{V2}/discovery.json")
    assert as_json.status_code == 200
    endpoint = as_json.json()["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://intake/open311/v2/"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    assert endpoint["type"] == "test"

    root = xml_of(await client.get(f"{V2}/discovery.xml"))
    assert root.tag == "discovery"
    xml_endpoint = root.find("endpoints/endpoint")
    assert xml_endpoint is not None
    assert xml_endpoint.findtext("url") == endpoint["url"]
    assert [f.text for f in xml_endpoint.findall("formats/format")] == endpoint["formats"]
    assert root.findtext("changeset") == as_json.json()["changeset"]


@pytest.mark.parametrize("tenant", ["torino", "pisa"])
async def test_services_are_the_tenants_categories_in_both_formats(
    client: httpx.AsyncClient, tenant: str
) -> None:
    categories = TENANTS[tenant].categories
    as_json = await client.get(f"{V2}/services.json", params={"jurisdiction_id": tenant})
    assert as_json.status_code == 200
    services = as_json.json()
    assert [s["service_code"] for s in services] == [c.service_code for c in categories]
    for service, category in zip(services, categories, strict=True):
        assert service == {
            "service_code": category.service_code,
            "service_name": category.name,
            "description": category.description,
            "metadata": True,
            "type": "realtime",
            "keywords": ", ".join(category.keywords),
            "group": category.group,
        }

    root = xml_of(await client.get(f"{V2}/services.xml", params={"jurisdiction_id": tenant}))
    assert root.tag == "services"
    as_xml = [{c.tag: c.text or "" for c in s} for s in root.findall("service")]
    assert as_xml == [
        {k: ("true" if v is True else str(v)) for k, v in s.items()} for s in services
    ]


async def test_a_service_definition_offers_the_kind_of_request(
    client: httpx.AsyncClient,
) -> None:
    url = f"{V2}/services/decoro_pulizia"
    definition = (await client.get(f"{url}.json", params={"jurisdiction_id": "torino"})).json()
    assert definition["service_code"] == "decoro_pulizia"
    [attribute] = definition["attributes"]
    assert attribute["code"] == "kind"
    assert attribute["datatype"] == "singlevaluelist"
    assert attribute["required"] is False and attribute["variable"] is True
    assert [v["key"] for v in attribute["values"]] == [k.value for k in Kind]

    root = xml_of(await client.get(f"{url}.xml", params={"jurisdiction_id": "torino"}))
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "decoro_pulizia"
    xml_attribute = root.find("attributes/attribute")
    assert xml_attribute is not None
    assert xml_attribute.findtext("required") == "false"
    assert [v.findtext("key") for v in xml_attribute.findall("values/value")] == [
        k.value for k in Kind
    ]


# Each refused question: the path, the query, the status and what the error says.
SERVICE_ERRORS: list[tuple[str, dict[str, str], int, str]] = [
    ("services", {}, 400, "jurisdiction_id was not provided"),
    ("services", {"jurisdiction_id": "atlantide"}, 404, "jurisdiction_id atlantide"),
    ("services/decoro_pulizia", {}, 400, "jurisdiction_id was not provided"),
    ("services/parcheggi", {"jurisdiction_id": "torino"}, 404, "service_code parcheggi"),
    ("services/decoro_pulizia", {"jurisdiction_id": "x" * 64}, 400, "jurisdiction_id"),
]


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_service_errors_follow_the_spec(
    client: httpx.AsyncClient, fmt: str, subtests: pytest.Subtests
) -> None:
    for path, params, status, says in SERVICE_ERRORS:
        with subtests.test(msg=says, path=path, params=params):
            response = await client.get(f"{V2}/{path}.{fmt}", params=params)
            assert response.status_code == status
            [error] = errors_of(response, fmt)
            assert error["code"] == str(status)
            assert says in error["description"]


async def test_an_unknown_format_is_not_found(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{V2}/services.csv", params={"jurisdiction_id": "torino"})
    assert response.status_code == 404
    assert "json or xml" in errors_of(response, "xml")[0]["description"]
