"""The privacy policy's pure rules: who sees which category, how a location is blurred."""

from __future__ import annotations

import math

import pytest
from sportello_shared.privacy import (
    Grant,
    LocationDetail,
    PrivacyPolicy,
    PublicationView,
    coarsen_address,
    snap_to_grid,
)

POLICY = PrivacyPolicy.model_validate(
    {"publication": {"categories": {"strade": {"description": True}, "luce": {}}}}
)


@pytest.mark.parametrize(
    ("address", "street"),
    [
        ("Via Roma 1, Torino", "Via Roma"),
        ("via Roma, 12 - 10100 Torino", "via Roma"),
        ("Corso Francia 23/b", "Corso Francia"),
        ("Via 4 Novembre", "Via 4 Novembre"),
        ("Via 4 Novembre 12", "Via 4 Novembre"),
        ("Piazza Duomo snc", "Piazza Duomo"),
        ("via Garibaldi n. 5", "via Garibaldi"),
        ("Via XX Settembre 3A", "Via XX Settembre"),
        ("", None),
        (None, None),
    ],
)
def test_an_address_is_coarsened_to_its_street(address: str | None, street: str | None) -> None:
    assert coarsen_address(address) == street


def test_points_in_one_100_m_cell_share_its_centre_and_move_less_than_71_m() -> None:
    here = snap_to_grid(45.07031, 7.68691)
    assert snap_to_grid(45.07035, 7.68695) == here
    moved = math.dist(
        (here[0] * 111_320, here[1] * 111_320 * math.cos(math.radians(45.07))),
        (45.07031 * 111_320, 7.68691 * 111_320 * math.cos(math.radians(45.07))),
    )
    assert moved < 71  # half the diagonal of a 100 m cell
    assert snap_to_grid(45.0712, 7.68691) != here  # 100 m north: another cell


def test_without_a_policy_nothing_is_public() -> None:
    view = PublicationView.public(PrivacyPolicy())
    assert not view.shows("strade") and not view.shows_description("strade", "web")


def test_the_public_sees_listed_categories_and_allowed_descriptions_only() -> None:
    view = PublicationView.public(POLICY)
    assert view.shows("strade") and view.shows("luce") and not view.shows("sociale")
    assert view.shows_description("strade", "web")
    assert not view.shows_description("luce", "web")
    for channel in ("phone", "voicemail", "counter", "post", "fax", "email", "pec", "ivr"):
        assert not view.shows_description("strade", channel)
    assert view.location is LocationDetail.STREET and not view.notes


def test_a_key_widens_the_public_view_by_its_grant() -> None:
    social = PublicationView.granted(POLICY, Grant(categories=["sociale"]))
    assert social.shows("sociale") and social.shows("strade")
    assert not social.shows_description("sociale", "web")
    assert social.shows_description("strade", "web")
    everything = PublicationView.granted(
        POLICY, Grant(categories="*", description=True, location=LocationDetail.EXACT)
    )
    assert everything.shows("anything") and everything.shows_description("anything", "app")
    assert not everything.shows_description("anything", "phone")
    assert everything.notes and everything.location is LocationDetail.EXACT
    assert PublicationView.granted(POLICY, None) == PublicationView.public(POLICY)
