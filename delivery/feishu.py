"""Feishu / Lark group bots with a signing secret, as an apprise plugin.

Apprise's own ``feishu://`` plugin sends to a bot without signature verification; bots
with "签名校验" (signature verification) turned on reject such messages. This registers
``feishusign://{secret}@{token}`` (``?lark=yes`` for Lark's international endpoint) that
signs every message the way Feishu documents: the key is ``"{timestamp}\\n{secret}"``,
HMAC-SHA256 over an empty message, base64-encoded, sent as ``sign`` with ``timestamp``.
``?base=URL`` overrides the endpoint (a proxy, or a local receiver in tests).

Importing this module registers the schema with apprise (once per process).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.request
from typing import Any

from apprise.decorators import notify

FEISHU_HOOK = "https://open.feishu.cn/open-apis/bot/v2/hook/"
LARK_HOOK = "https://open.larksuite.com/open-apis/bot/v2/hook/"
SCHEMA = "feishusign"


def feishu_sign(secret: str, timestamp: int) -> str:
    """Feishu's bot signature for ``timestamp`` (seconds) and the bot's secret."""
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, digestmod=hashlib.sha256).digest()).decode()


def signed_payload(secret: str, text: str, timestamp: int) -> dict[str, Any]:
    """The JSON body of one signed text message."""
    return {
        "timestamp": str(timestamp),
        "sign": feishu_sign(secret, timestamp),
        "msg_type": "text",
        "content": {"text": text},
    }


@notify(on=SCHEMA, name="Feishu / Lark bot with signature")
def send_signed(
    body: str, title: str, notify_type: str, meta: dict[str, Any], *args: Any, **kwargs: Any
) -> bool:
    """Send one signed text message; False (apprise logs it) when the bot refuses it."""
    token, secret = str(meta.get("host") or ""), str(meta.get("user") or "")
    options = meta.get("qsd") or {}
    if not token or not secret:
        raise ValueError("feishusign:// needs {secret}@{token}")
    lark = str(options.get("lark", "")).lower() in {"yes", "true", "1"}
    base = options.get("base") or (LARK_HOOK if lark else FEISHU_HOOK)
    text = f"{title}\n{body}" if title else body
    data = json.dumps(signed_payload(secret, text, int(time.time())), ensure_ascii=False)
    request = urllib.request.Request(
        base.rstrip("/") + "/" + token,
        data=data.encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=float(options.get("cto", 10))) as response:
        raw = response.read()
    try:
        answer = json.loads(raw or b"{}")
    except ValueError:  # a plain-text 2xx answer (a proxy): delivered
        return True
    if not isinstance(answer, dict):
        return True
    # Feishu answers 200 with a non-zero code when the signature or keyword is refused.
    return int(answer.get("code", answer.get("StatusCode", 0)) or 0) == 0
