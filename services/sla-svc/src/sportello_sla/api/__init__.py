"""sla-svc's HTTP API: thin routers translating requests into the application's queries."""

from . import admin, annual, anomalies, calendar, clocks, reports

routers = [clocks.router, calendar.router, reports.router, annual.router, anomalies.router]
routers.append(admin.router)
# the published yearly reports: anyone reads them, without a token
public_routers = [annual.public_router]
