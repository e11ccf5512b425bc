"""The custom resource's answer to CloudFormation: one JSON document PUT to the ResponseURL.

CloudFormation User Guide, "Custom resource response objects": Status, Reason (required when
FAILED), PhysicalResourceId, StackId, RequestId, LogicalResourceId, Data; the whole object at
most 4096 bytes. The ResponseURL is a pre-signed S3 URL, signed for an empty Content-Type (as
AWS's cfn-response module sends it): it is a credential, so it is never logged.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.request
from typing import Any

LOG = logging.getLogger("provisioner")
MAX_REASON = 1000  # leaves the rest of the 4096 bytes to the ids


class Responder:
    """Sends the one response of an invocation, from the handler or from its watchdog, whichever
    comes first; the other call does nothing."""

    def __init__(self, event: dict[str, Any]) -> None:
        self._event = event
        self._lock = threading.Lock()
        self.sent = False

    def respond(self, status: str, reason: str, physical_id: str, timeout: float) -> bool:
        with self._lock:
            if self.sent:
                return False
            self.sent = True
        reason = " ".join(reason.split())
        body = {
            "Status": status,
            "Reason": reason if len(reason) <= MAX_REASON else reason[:MAX_REASON - 3] + "...",
            "PhysicalResourceId": physical_id,
            "StackId": self._event.get("StackId"),
            "RequestId": self._event.get("RequestId"),
            "LogicalResourceId": self._event.get("LogicalResourceId"),
            "Data": {},
        }
        LOG.info("responding %s: %s", status, body["Reason"])
        return _put(self._event.get("ResponseURL") or "", json.dumps(body).encode(), timeout)


def _put(url: str, data: bytes, timeout: float) -> bool:
    request = urllib.request.Request(url, data=data, method="PUT",
                                     headers={"Content-Type": "", "Content-Length": str(len(data))})
    for attempt in range(1, 4):
        try:
            with urllib.request.urlopen(request, timeout=max(1.0, timeout)) as answer:  # noqa: S310
                LOG.info("CloudFormation took the response (HTTP %s)", answer.status)
                return True
        except Exception as exc:  # noqa: BLE001 - retried, then logged; only the type, never the URL
            LOG.warning("sending the response failed (%s), attempt %d of 3", type(exc).__name__, attempt)
            time.sleep(0.5 * attempt)
    return False
