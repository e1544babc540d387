"""notify-svc's HTTP API: thin translation between requests and the application's use cases."""

from . import letters, notifications, surveys, templates

routers = [notifications.router, letters.router, surveys.router, templates.router]
public_routers = [surveys.citizen_router]

__all__ = ["public_routers", "routers"]
