"""Partner companies and other platforms on NATS: accounts, credentials and durable consumers.

Isolation is by NATS *account* (deploy/nats/accounts.conf, generated from partners.yaml): the
services live in the `SPORTELLO` account, which owns JetStream; each partner and each platform
has an account of its own that imports exactly the few subjects it may use, and its one user is
further limited to those subjects. Passwords never enter the repository: the configuration
names them as environment variables (`$SPORTELLO_NATS_PASSWORD_<ACCOUNT>`), whose values are kept
in `<data dir>/secrets/nats.env` and handed to the partner in its credentials file.

`members.py` (who, from partners.yaml), `accounts.py` (accounts.conf), `credentials.py`
(secrets and what is handed over), `consumers.py` (a partner's durable consumer); `cli.py` is the
`sportello-partners` tool operators run (`make partner` runs it on the development stack).
"""

from .accounts import Ref, render_accounts, write_accounts
from .consumers import consumer_config, ensure_consumer
from .credentials import (
    credentials,
    credentials_file,
    ensure_secrets,
    new_password,
    secrets_file,
    write_credentials,
)
from .members import (
    ACCOUNTS_FILE,
    API_PREFIX,
    CONSUMER_ACK_WAIT_SECONDS,
    CONSUMER_MAX_ACK_PENDING,
    CORE_ACCOUNT,
    NATS_DIR,
    PARTNERS_FILE,
    PASSWORD_PREFIX,
    RESPONSE_THRESHOLD,
    SERVER_FILE,
    SERVICES_PASSWORD,
    SERVICES_USER,
    Import,
    Integrations,
    Partner,
    Platform,
    TenantIntegrations,
    load_integrations,
)

__all__ = [
    "ACCOUNTS_FILE",
    "API_PREFIX",
    "CONSUMER_ACK_WAIT_SECONDS",
    "CONSUMER_MAX_ACK_PENDING",
    "CORE_ACCOUNT",
    "NATS_DIR",
    "PARTNERS_FILE",
    "PASSWORD_PREFIX",
    "RESPONSE_THRESHOLD",
    "SERVER_FILE",
    "SERVICES_PASSWORD",
    "SERVICES_USER",
    "Import",
    "Integrations",
    "Partner",
    "Platform",
    "Ref",
    "TenantIntegrations",
    "consumer_config",
    "credentials",
    "credentials_file",
    "ensure_consumer",
    "ensure_secrets",
    "load_integrations",
    "new_password",
    "render_accounts",
    "secrets_file",
    "write_accounts",
    "write_credentials",
]
