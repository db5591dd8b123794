"""An OpenAI-compatible chat-completions endpoint as a judge (vLLM, llama.cpp's server, TGI, Ollama, or a
hosted API a lab chooses to use): ``POST {base_url}/chat/completions``.

Written on the standard library (``urllib``): one JSON request per order of a pair needs no client library, and
the platform gains no dependency for it. The API key is read from an environment variable at run time
(``api_key_env``, default ``OPENAI_API_KEY``) and never stored; without one no Authorization header is sent, as
local servers expect. Replies are parsed by ``base.parse_reply`` ("A", "B", "tie"); with ``logprobs=True`` the
first token's top log-probabilities of A and B give ``p_left`` (servers that do not return them give None).

Failures: HTTP 429 and 5xx, timeouts and refused connections are retried ``retries`` times with exponential
back-off (honouring Retry-After, at most 30 s), then raise ``JudgeUnavailable`` (the job may be retried later);
401 / 403 / 404 / other 4xx raise ``JudgeError`` at once, saying what to fix.
"""
from __future__ import annotations

import json
import math
import os
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from .base import CHAT_SYSTEM, CHAT_USER, JudgeError, JudgeQuery, JudgeUnavailable, Verdict, parse_reply

RETRY_STATUSES = {408, 409, 425, 429, 500, 502, 503, 504}
MAX_WAIT = 30.0


class OpenAIJudge:
    def __init__(self, base_url: str, *, model: str, api_key_env: str = "OPENAI_API_KEY", timeout: float = 60.0,
                 retries: int = 4, logprobs: bool = False, sleep: Callable[[float], None] = time.sleep) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model, self.api_key_env, self.timeout = model, api_key_env, timeout
        self.retries, self.logprobs, self._sleep = max(0, retries), logprobs, sleep

    def describe(self) -> str:
        return f"the model {self.model} behind an OpenAI-compatible chat endpoint"

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        key = os.environ.get(self.api_key_env, "") if self.api_key_env else ""
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def judge(self, query: JudgeQuery) -> Verdict:
        body: dict[str, Any] = {
            "model": self.model, "temperature": 0, "max_tokens": 4,
            "messages": [{"role": "system", "content": CHAT_SYSTEM},
                         {"role": "user", "content": query.prompt(CHAT_USER)}],
        }
        if self.logprobs:
            body.update(logprobs=True, top_logprobs=5)
        reply = self._post(body)
        try:
            choice = reply["choices"][0]
            text = choice["message"]["content"] or ""
        except (KeyError, IndexError, TypeError):
            raise JudgeUnavailable(f"{self.url} answered without choices[0].message.content: "
                                   f"{json.dumps(reply)[:200]}") from None
        return Verdict(answer=parse_reply(text), p_left=_p_left(choice), raw=str(text)[:200])

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        data = json.dumps(body).encode()
        problem = ""
        for attempt in range(self.retries + 1):
            wait = min(MAX_WAIT, 0.5 * 2 ** attempt)
            request = urllib.request.Request(self.url, data=data, headers=self._headers(), method="POST")
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (http/https only)
                    raw = response.read()
                try:
                    return json.loads(raw)
                except ValueError:
                    problem = f"a reply that is not JSON ({raw[:80]!r})"
            except urllib.error.HTTPError as exc:
                detail = _error_detail(exc)
                if exc.code in (401, 403):
                    raise JudgeError(f"{self.url} refused the request (HTTP {exc.code}{detail}): set the API key in "
                                     f"the environment variable {self.api_key_env} of the worker.") from None
                if exc.code == 404:
                    raise JudgeError(f"{self.url} does not exist or does not serve the model {self.model!r} "
                                     f"(HTTP 404{detail}): check the base URL (it usually ends in /v1) and --model.") from None
                if exc.code not in RETRY_STATUSES:
                    raise JudgeError(f"{self.url} rejected the request (HTTP {exc.code}{detail}).") from None
                problem = f"HTTP {exc.code}{detail}"
                wait = _retry_after(exc, wait)
            except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError) as exc:
                reason = getattr(exc, "reason", exc)
                problem = f"no answer ({reason})"
            if attempt < self.retries:
                self._sleep(wait)
        raise JudgeUnavailable(f"The judge endpoint {self.url} failed {self.retries + 1} times; last: {problem}.")


def _error_detail(exc: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(exc.read() or b"{}")
        message = (body.get("error") or {}).get("message") if isinstance(body.get("error"), dict) else body.get("error")
    except (ValueError, AttributeError, OSError):
        message = None
    return f": {str(message)[:160]}" if message else ""


def _retry_after(exc: urllib.error.HTTPError, default: float) -> float:
    try:
        return min(MAX_WAIT, max(0.0, float(exc.headers.get("Retry-After", default))))
    except (TypeError, ValueError):
        return default


def _p_left(choice: dict[str, Any]) -> float | None:
    """P(A) / (P(A) + P(B)) from the first generated token's top log-probabilities, when the server gave them."""
    try:
        top = choice["logprobs"]["content"][0]["top_logprobs"]
    except (KeyError, IndexError, TypeError):
        return None
    best: dict[str, float] = {}
    for entry in top or []:
        label = str(entry.get("token", "")).strip().upper()
        if label in ("A", "B") and label not in best:
            best[label] = float(entry.get("logprob", -math.inf))
    if not best:
        return None
    a, b = best.get("A", -math.inf), best.get("B", -math.inf)
    top_lp = max(a, b)
    ea, eb = math.exp(a - top_lp), math.exp(b - top_lp)
    return ea / (ea + eb)
