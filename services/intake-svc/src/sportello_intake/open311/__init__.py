"""Open311 GeoReport v2, the standard other civic platforms and apps speak."""

from .router import router

__all__ = ["router"]
