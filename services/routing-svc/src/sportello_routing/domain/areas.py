"""Areas of a tenant as GeoJSON polygons: where a case's location routes it."""

from __future__ import annotations

from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from shapely.geometry import MultiPolygon, Point, Polygon, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity
from sportello_shared.worded import Worded

AREA_ID = r"^[a-z0-9][a-z0-9-]{0,62}$"


class AreaFeature(BaseModel):
    """One named area: a GeoJSON Feature whose geometry is a Polygon or MultiPolygon."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: Literal["Feature"] = "Feature"
    id: str = Field(pattern=AREA_ID)
    properties: dict[str, Any] = Field(default_factory=dict)
    geometry: dict[str, Any]

    @field_validator("geometry")
    @classmethod
    def _a_valid_polygon(cls, geometry: dict[str, Any]) -> dict[str, Any]:
        try:
            parsed = shape(geometry)
        except Exception as exc:  # shapely raises several types for malformed GeoJSON
            raise Worded(
                f"not a GeoJSON geometry: {exc}", it=f"non è una geometria GeoJSON: {exc}"
            ) from exc
        if not isinstance(parsed, Polygon | MultiPolygon):
            raise Worded(
                f"an area must be a Polygon or MultiPolygon, not {parsed.geom_type}",
                it=f"un'area deve essere un Polygon o un MultiPolygon, non {parsed.geom_type}",
            )
        if not parsed.is_valid:
            why = explain_validity(parsed)  # shapely's words ("Self-intersection[...]")
            raise Worded(f"invalid polygon: {why}", it=f"poligono non valido: {why}")
        return geometry

    @property
    def name(self) -> str:
        return str(self.properties.get("name", self.id))

    @cached_property
    def shape(self) -> BaseGeometry:
        return shape(self.geometry)


class Areas(BaseModel):
    """A tenant's areas as a GeoJSON FeatureCollection (what geojson.io and QGIS export)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: tuple[AreaFeature, ...] = ()

    def get(self, area_id: str) -> AreaFeature | None:
        return next((f for f in self.features if f.id == area_id), None)

    def containing(self, lat: float, lon: float, among: tuple[str, ...]) -> AreaFeature | None:
        """The first of `among` that covers the point (GeoJSON is lon, lat)."""
        point = Point(lon, lat)
        for area_id in among:
            area = self.get(area_id)
            if area is not None and area.shape.covers(point):
                return area
        return None

    def overlapping_pairs(self) -> list[tuple[int, int]]:
        """Pairs of areas whose interiors intersect; sharing a border is fine."""
        shapes = [f.shape for f in self.features]
        return [
            (i, j)
            for i in range(len(shapes))
            for j in range(i + 1, len(shapes))
            if shapes[i].relate_pattern(shapes[j], "T********")
        ]
