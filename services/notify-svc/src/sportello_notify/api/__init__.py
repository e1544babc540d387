"""notify-svc's HTTP API: thin translation between requests and the application's use cases."""

from . import letters, notifications, on_call, surveys, templates

routers = [
    notifications.router,
    letters.router,
    on_call.router,
    surveys.router,
    templates.router,
]
public_routers = [surveys.citizen_router]

__all__ = ["public_routers", "routers"]
