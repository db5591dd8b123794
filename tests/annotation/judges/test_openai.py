"""The OpenAI-compatible judge against a tiny chat-completions server started here on 127.0.0.1: requests as the
API defines them, the key from an environment variable, retries on 429 / 5xx, clear errors, log-probabilities,
and nothing in a request that names a system."""
from __future__ import annotations

import io
import json
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import CommandError, call_command

from annotation.judges import JudgeError, JudgeQuery, JudgeUnavailable, build_judge, parse_spec
from annotation.judges.base import parse_reply
from annotation.models import Item, JudgeAnswer
from annotation.reports import gather
from deft_site.jobs.models import Job

from ..conftest import make_study_data

QUERY = JudgeQuery(instruction="Fix grammar", source="she go home", left="she goes home w0x", right="she go homes")


class ChatServer:
    """Speaks POST /v1/chat/completions. It prefers the output holding the marker "w0x" (else A), answers
    with ``faults`` first (HTTP codes, or "garbage" for a reply naming no answer) and keeps every request."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.faults: list = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with server.lock:
                    server.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                    fault = server.faults.pop(0) if server.faults else None
                if self.path != "/v1/chat/completions":
                    return self._send(404, {"error": {"message": "no such route"}})
                if isinstance(fault, int):
                    return self._send(fault, {"error": {"message": f"simulated {fault}"}},
                                      {"Retry-After": "0"} if fault == 429 else {})
                text = body["messages"][-1]["content"]
                a = re.search(r"^Output A: (.*)$", text, re.M).group(1)
                answer = "I cannot decide" if fault == "garbage" else "B" if "w0x" not in a and "w0x" in text else "A"
                choice = {"index": 0, "message": {"role": "assistant", "content": answer}, "finish_reason": "stop"}
                if body.get("logprobs"):
                    lp = {"A": -0.1, "B": -2.4} if answer == "A" else {"A": -2.4, "B": -0.1}
                    choice["logprobs"] = {"content": [{"token": answer, "logprob": lp.get(answer, -1.0),
                                                       "top_logprobs": [{"token": t, "logprob": v} for t, v in lp.items()]}]}
                self._send(200, {"id": "x", "object": "chat.completion", "model": body["model"], "choices": [choice]})

            def _send(self, code: int, payload: dict, headers: dict | None = None) -> None:
                data = json.dumps(payload).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        self.httpd = _bind(Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _bind(handler) -> ThreadingHTTPServer:
    """The first free port of this project's test range (8400-8499)."""
    for port in range(8400, 8500):
        try:
            return ThreadingHTTPServer(("127.0.0.1", port), handler)
        except OSError:
            continue
    raise RuntimeError("no free port in 8400-8499")


@pytest.fixture
def server():
    s = ChatServer()
    yield s
    s.close()


def _judge(server, **kw):
    return build_judge(parse_spec(f"openai:{server.url}", model="tiny-chat", api_key_env="H4_JUDGE_KEY", **kw))


def test_a_request_is_an_openai_chat_completion_with_the_key_from_the_environment(server, monkeypatch):
    monkeypatch.setenv("H4_JUDGE_KEY", "sekrit")
    verdict = _judge(server).judge(QUERY)
    assert verdict.answer == "left" and verdict.p_left is None and verdict.raw == "A"
    (req,) = server.requests
    assert req["path"] == "/v1/chat/completions"
    assert req["headers"]["Authorization"] == "Bearer sekrit"
    body = req["body"]
    assert body["model"] == "tiny-chat" and body["temperature"] == 0
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert "Output A: she goes home w0x" in body["messages"][1]["content"]
    assert _judge(server).judge(QUERY.swapped()).answer == "right"  # it follows the text, not the side


def test_without_a_key_no_authorization_header_is_sent(server, monkeypatch):
    monkeypatch.delenv("H4_JUDGE_KEY", raising=False)
    _judge(server).judge(QUERY)
    assert "Authorization" not in server.requests[0]["headers"]


def test_log_probabilities_give_the_judges_probability(server):
    verdict = _judge(server, logprobs=True).judge(QUERY)
    assert verdict.p_left == pytest.approx(1 / (1 + pow(2.718281828459045, -2.3)), rel=1e-6)


def test_busy_and_failing_servers_are_retried_then_reported(server):
    server.faults = [503, 429, 500]
    assert _judge(server, retries=3).judge(QUERY).answer == "left"
    assert len(server.requests) == 4
    server.faults = [503] * 5
    with pytest.raises(JudgeUnavailable, match="failed 3 times; last: HTTP 503: simulated 503"):
        _judge(server, retries=2).judge(QUERY)


@pytest.mark.parametrize(("code", "message"), [(401, "set the API key in the environment variable H4_JUDGE_KEY"),
                                               (400, "rejected the request .HTTP 400: simulated 400")])
def test_refusals_are_not_retried_and_say_what_to_fix(server, code, message):
    server.faults = [code] * 5
    with pytest.raises(JudgeError, match=message):
        _judge(server).judge(QUERY)
    assert len(server.requests) == 1


def test_a_wrong_base_url_says_so(server):
    judge = build_judge(parse_spec(f"openai:{server.url[:-3]}", model="m"))  # without /v1
    with pytest.raises(JudgeError, match="usually ends in /v1"):
        judge.judge(QUERY)


def test_nobody_listening_is_unavailable_not_a_crash():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    judge = build_judge(parse_spec(f"openai:http://127.0.0.1:{port}/v1", model="m", retries=1, timeout=2))
    judge._sleep = lambda s: None
    with pytest.raises(JudgeUnavailable, match="no answer"):
        judge.judge(QUERY)


@pytest.mark.parametrize(("reply", "answer"), [("A", "left"), (" b.", "right"), ("Output B", "right"),
                                               ("Tie", "tie"), ("Answer: A", "left"), ("about the same", ""),
                                               ("Both", ""), ("", "")])
def test_replies_are_read_strictly(reply, answer):
    assert parse_reply(reply) == answer


@pytest.mark.django_db
def test_judge_study_rates_every_pair_through_an_endpoint_and_the_report_compares(server, researcher):
    from annotation.services import simulate_raters, study_create

    ds, systems = make_study_data(n_examples=16, n_systems=2, seed=31)
    study = study_create(name="chatjudged", dataset=ds, systems=systems, n_examples=16, raters_per_item=3,
                         seed=1, control_rate=0.0, user=researcher, launch=True)
    simulate_raters(study=study, raters=3, seed=1, prefer={"zebrasys0": 0.9})
    server.faults = [503, "garbage"]
    out = io.StringIO()
    call_command("judge_study", "chatjudged", "--judge", f"openai:{server.url}", "--model", "tiny-chat",
                 "--logprobs", stdout=out)
    n = Item.objects.filter(study=study, kind=Item.Kind.REAL).count()
    assert f"answered {2 * n} times on {n} pairs (each in both orders; 1 replies named no answer)" in out.getvalue()
    assert JudgeAnswer.objects.filter(run__study=study, preference="").count() == 1
    sent = json.dumps([r["body"] for r in server.requests])
    for leak in ["zebrasys", "secretpath", "runid", str(systems[0].pk) + '"']:
        assert leak not in sent  # what the judge is sent names no system, path or run
    report = gather.study_report(study, bootstrap=100, use_cache=False)
    (judged,) = report["judges"]
    assert judged["n_unusable"] == 1 and judged["n_answers"] == 2 * n
    assert judged["position_bias"]["share_left"] == pytest.approx(0.5, abs=1 / n)
    assert judged["consistency"]["rate"] == 1.0
    (pair,) = judged["pairs"]
    assert pair["a"] == "zebrasys0" and pair["wins"]["rate"] == 1.0  # the endpoint preferred w0x's system
    assert "the model tiny-chat behind an OpenAI-compatible chat endpoint" in report["methods"]


@pytest.mark.django_db
def test_an_endpoint_that_is_down_fails_the_job_retryably(researcher):
    from annotation.services import study_create

    ds, systems = make_study_data(n_examples=4, n_systems=2, seed=32)
    study = study_create(name="chatdown", dataset=ds, systems=systems, n_examples=4, raters_per_item=2, seed=1,
                         control_rate=0.0, user=researcher, launch=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(CommandError, match="judge failed: A file or network operation failed"):
        call_command("judge_study", "chatdown", "--judge", f"openai:http://127.0.0.1:{port}/v1", "--model", "m",
                     "--retries", "0", "--timeout", "2")
    job = study.judge_runs.get().job
    assert job.status == Job.Status.FAILED and job.retryable
