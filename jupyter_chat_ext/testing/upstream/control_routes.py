"""`/_control`: switch faults and settings, and read the records, from outside the process.

Not recorded and not behind the API key: it belongs to the test, not to the fake upstream
being tested, and the server only listens on loopback.
"""

from __future__ import annotations

import json

from tornado import web

from .state import UpstreamState


class ControlHandler(web.RequestHandler):
    def initialize(self, state: UpstreamState) -> None:
        self.state = state

    def get(self) -> None:
        self._reply()

    def post(self) -> None:
        try:
            payload = json.loads(self.request.body or b"{}")
            if not isinstance(payload, dict):
                raise ValueError("the control body must be a JSON object")
            self.state.control(payload)
        except (ValueError, TypeError) as error:
            self.set_status(400)
            self.finish({"error": str(error)})
            return
        self._reply()

    def _reply(self) -> None:
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(self.state.to_json()))
