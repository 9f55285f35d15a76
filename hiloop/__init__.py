"""Hiloop: end-to-end encrypted human-in-the-loop for AI agents.

    from hiloop import HiloopClient

    with HiloopClient() as client:                      # the agent paired with `hiloop agent add NAME`
        answer = client.ask(None, [
            {"type": "text", "text": "Deploy **v2.4.1** to production?"},
            {"type": "button_group", "buttons": [
                {"label": "Approve", "action": "approve", "variant": "primary"},
                {"label": "Deny", "action": "deny", "variant": "danger"}]},
        ], title="Deploy v2.4.1", timeout=600)
        print(answer.action)
"""

from hiloop.client import AsyncHiloopClient
from hiloop.components import (
    KV,
    QA,
    Alert,
    Button,
    ButtonGroup,
    Chart,
    Code,
    Component,
    Diff,
    Entry,
    File,
    Image,
    Link,
    Metric,
    MetricGrid,
    Output,
    Question,
    Series,
    Tab,
    Table,
    Tabs,
    Text,
    Wizard,
    WizardStep,
    dump_components,
    is_interactive,
    parse_components,
)
from hiloop.crypto import CryptoError
from hiloop.errors import (
    APIError,
    BadRequest,
    ConfigError,
    Conflict,
    Forbidden,
    HiloopError,
    InvalidComponent,
    NotFound,
    PairingError,
    PayloadTooLarge,
    RateLimited,
    ResponseTimeout,
    ServerError,
    TransportError,
    Unauthorized,
)
from hiloop.guest import AsyncGuestClient, GuestClient
from hiloop.models import (
    Agent,
    FeedItem,
    GuestLink,
    Response,
    SentMessage,
    Session,
    SessionView,
    Timeline,
    TimelineMessage,
)
from hiloop.owner import AsyncOwnerClient, OwnerClient
from hiloop.pairing import pair_agent, pair_agent_async
from hiloop.sync_client import HiloopClient

__version__ = "0.1.0"

__all__ = [
    "APIError",
    "Agent",
    "Alert",
    "AsyncGuestClient",
    "AsyncHiloopClient",
    "AsyncOwnerClient",
    "BadRequest",
    "Button",
    "ButtonGroup",
    "Chart",
    "Code",
    "Component",
    "ConfigError",
    "Conflict",
    "CryptoError",
    "Diff",
    "Entry",
    "FeedItem",
    "File",
    "Forbidden",
    "GuestClient",
    "GuestLink",
    "HiloopClient",
    "HiloopError",
    "Image",
    "InvalidComponent",
    "KV",
    "Link",
    "Metric",
    "MetricGrid",
    "NotFound",
    "Output",
    "OwnerClient",
    "PairingError",
    "PayloadTooLarge",
    "QA",
    "Question",
    "RateLimited",
    "Response",
    "ResponseTimeout",
    "SentMessage",
    "Series",
    "ServerError",
    "Session",
    "SessionView",
    "Tab",
    "Table",
    "Tabs",
    "Text",
    "Timeline",
    "TimelineMessage",
    "TransportError",
    "Unauthorized",
    "Wizard",
    "WizardStep",
    "__version__",
    "dump_components",
    "is_interactive",
    "pair_agent",
    "pair_agent_async",
    "parse_components",
]
