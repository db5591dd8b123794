"""Automatic judges beside the human raters (pure: no Django, and no torch or transformers at import).

A judge answers the question a rater answers, from what a rater sees: the instruction, the input and the two
outputs in the sides shown (``base.JudgeQuery``, built from ``annotation.selectors.slot_payload``, the payload
the rating page gets, so a judge can no more see which system wrote a text than a rater can). It returns a
``base.Verdict``: "left", "right" or "tie", with the probability it gives the left output where it has one.

Implementations, chosen by a spec string (``base.parse_spec``):

- ``hf:PATH_OR_ID`` (``hf.HFJudge``): a local Hugging Face model, loaded with ``local_files_only=True`` (no
  network, ever). Seq2seq (T5 / Flan-T5) and causal (GPT-2, Llama...) models both work: the two answer labels
  are scored by their log-likelihood after the prompt, and the softmax of the two gives ``p_left``.
- ``openai:BASE_URL`` (``openai_compat.OpenAIJudge``): any OpenAI-compatible chat-completions endpoint a lab
  runs itself (vLLM, llama.cpp's server, TGI, Ollama...), with the model name and an API key read from an
  environment variable (never stored); timeouts, retries with back-off on 429 / 5xx / connection errors, and
  errors that say what to fix.
- ``sim:accuracy=A,left_bias=B`` (``simulated.SimulatedJudge``): a judge of known quality for tests and
  simulated studies. With probability B it answers "left" whatever it is shown; otherwise it names the truly
  better output with probability A. Its expected share of left answers is 1/2 + B/2 and its expected
  agreement with the truth B/2 + (1 - B) A, which the tests check it reaches on simulated studies.

Every pair is asked in both orders (the runner in ``annotation.services.judges`` does it; a judge sees one
order at a time), so the report can measure the judge's position bias and its consistency; the statistics are
in ``annotation.stats.judges``. See docs/judges.md.
"""
from .base import Judge, JudgeError, JudgeQuery, JudgeSpec, JudgeUnavailable, Verdict, parse_spec  # noqa: F401

__all__ = ["Judge", "JudgeError", "JudgeQuery", "JudgeSpec", "JudgeUnavailable", "Verdict", "build_judge",
           "parse_spec"]


def build_judge(spec: JudgeSpec, *, oracle=None) -> Judge:  # noqa: ANN001 (a Callable[[JudgeQuery], str | None])
    """The judge a spec names (heavy libraries load here, for ``hf:`` only). ``oracle`` is the simulated
    judge's source of truth and is refused for any other kind."""
    if spec.kind == "hf":
        from .hf import HFJudge

        return HFJudge(spec.target, **spec.options)
    if spec.kind == "openai":
        from .openai_compat import OpenAIJudge

        return OpenAIJudge(spec.target, model=spec.model, **spec.options)
    from .simulated import SimulatedJudge

    if oracle is None:
        raise JudgeError("A simulated judge needs the simulated study's truth (simulate_raters' --prefer and "
                         "--seed).")
    return SimulatedJudge(oracle=oracle, **spec.options)
