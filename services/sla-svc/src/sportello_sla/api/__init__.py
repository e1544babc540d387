"""sla-svc's HTTP API: thin routers translating requests into the application's queries."""

from . import admin, calendar, clocks, reports

routers = [clocks.router, calendar.router, reports.router, admin.router]
