"""A webhook receiver: the relay calls this small HTTP app when the owner answers (or the deadline
passes), instead of the agent holding a long-poll open.

    HILOOP_URL=http://127.0.0.1:8787 python examples/webhook_receiver.py

It listens on 127.0.0.1, registers a webhook for `response` and `expired`, asks for a decision, and
acts on the delivery: it checks the signature and timestamp (`Hiloop-Signature`, `Hiloop-Timestamp`),
skips a delivery id it has handled (deliveries are at-least-once), decrypts the answer and verifies
that the owner signed it. Answer in the app, or with the `hiloop respond …` line it prints.
"""

from __future__ import annotations

import os
import socket

import anyio
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hiloop import AsyncHiloopClient, InvalidWebhook, WebhookEvent

TIMEOUT = float(os.environ.get("HILOOP_EXAMPLE_TIMEOUT", "600"))


async def main() -> None:
    async with AsyncHiloopClient() as client:
        secret = ""  # set once the webhook is registered
        handled: set[str] = set()
        outcome: list[WebhookEvent] = []
        done = anyio.Event()

        async def hook(request: Request) -> Response:
            try:
                event = await client.read_webhook(request.headers, await request.body(), secret)
            except InvalidWebhook:
                return Response(status_code=400)  # not from our relay, or replayed late: ignore it
            if event.delivery_id in handled:
                return Response(status_code=204)  # a retry of one already handled
            handled.add(event.delivery_id)
            if event.event == "expired" or (event.response is not None and event.response.responder_role == "owner"):
                outcome.append(event)
                done.set()
            return Response(status_code=204)

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/hook"
        app = Starlette(routes=[Route("/hook", hook, methods=["POST"])])
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False))

        async with anyio.create_task_group() as tg:
            tg.start_soon(server.serve, [sock])
            webhook = await client.create_webhook(url, ["response", "expired"])
            assert webhook.secret is not None
            secret = webhook.secret
            print(f"Listening on {url} for webhook {webhook.id}", flush=True)
            session = await client.create_session("Rotate the API keys", priority="high")
            sent = await client.send_message(
                session.id,
                [
                    {"type": "text", "text": "Rotate the production API keys now? Clients reconnect once."},
                    {"type": "button_group", "buttons": [
                        {"label": "Rotate", "action": "approve", "variant": "primary"},
                        {"label": "Later", "action": "deny", "variant": "danger"},
                    ]},
                ],
                deadline=TIMEOUT,
                default_action="deny",
            )
            print(f"Waiting for a webhook (or: hiloop respond {session.id} {sent.id} --action approve)", flush=True)
            with anyio.fail_after(TIMEOUT + 10):
                await done.wait()
            await client.delete_webhook(webhook.id)
            await client.close_session(session.id)
            server.should_exit = True

        event = outcome[0]
        assert event.session_id == session.id and event.request_id == sent.id
        if event.event == "expired":
            print(f"No answer before the deadline: applying the default ({event.default_action}).")
        else:
            answer = event.response
            assert answer is not None and answer.responder_role == "owner"  # only the owner's signed answer counts
            said = f": {answer.text}" if answer.text else ""
            verb = "Rotating the keys." if answer.action == "approve" else "Not rotating."
            print(f"The owner answered {answer.action} over a webhook{said}. {verb}")


if __name__ == "__main__":
    anyio.run(main)
