"""routing-svc's HTTP API: thin translation between requests and the application."""

from . import assignments, directory, explain, rules

routers = [assignments.router, explain.router, directory.router, rules.router]
