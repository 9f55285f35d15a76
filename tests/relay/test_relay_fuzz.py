"""Every route, fed malformed input by every kind of caller: never a 5xx, every error from the catalogue."""

import itertools
import random
import re

import pytest
import relay_util

from relay.errors import CATALOGUE
from relay.routes import API

pytestmark = pytest.mark.anyio

PATH_VALUES = ["x", "s_%E2%98%83", "a" * 300, "%00", "..", "-1"]
QUERIES = [{}, {"after": "-1"}, {"after": "1e309"}, {"wait": "nan"}, {"wait": "inf"}, {"limit": "0"},
           {"limit": "9" * 30}, {"before": "not-a-date"}, {"status": "x"}, {"claim": ""}, {"agent": "a b"},
           {"after": "2", "wait": "0.01"}]
BODIES = [None, b"", b"null", b"[]", b"{}", b'{"a":', b"\xff", b'{"envelope": 1}', b'"x"', b"1" * 400,
          b'{"epoch": 1e400}', b'{"name": "' + b"x" * 5000 + b'"}', b"[" * 5000 + b"]" * 5000]


async def test_no_input_makes_the_relay_fail(asgi_client, agent, owner, public_sid):
    _, guest_token = await relay_util.add_guest(asgi_client, agent.headers, public_sid)
    callers = [{}, owner.headers, agent.headers, relay_util.bearer(guest_token)]
    cases = []
    for api in API:
        paths = sorted({re.sub(r"{[^}]+}", v, api.path) for v in [*PATH_VALUES, public_sid]})
        cases += [(api.method, *c) for c in itertools.product(paths, callers, QUERIES, BODIES)]
    for method, path, headers, query, body in random.Random(7).sample(cases, 2500):
        r = await asgi_client.request(method, path, headers=headers, params=query, content=body)
        assert r.status_code < 500, (method, path, query, body, r.text)
        if r.status_code >= 400:
            err = r.json()
            assert err["code"] in CATALOGUE and CATALOGUE[err["code"]].status == r.status_code, r.text
