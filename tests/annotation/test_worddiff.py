"""annotation.worddiff: the word diff raters see. Every token is escaped (the rating page marks this HTML safe),
the markup depends only on the two texts, and the diff/plain choice under "auto" follows the share of changed
words."""
from __future__ import annotations

import re
from html import unescape
from xml.etree import ElementTree

import pytest

from annotation.worddiff import HEAVY_REWRITE, changed_share, diff_html, diff_tokens, initial_view


def test_tokens_mark_a_replacement_as_delete_then_insert():
    assert diff_tokens("the cat sat down", "the dog sat down") == [
        ("equal", "the"), ("delete", "cat"), ("insert", "dog"), ("equal", "sat down")]
    assert diff_tokens("a b", "a b") == [("equal", "a b")]
    assert diff_tokens("", "new words") == [("insert", "new words")]
    assert diff_tokens("old words", "") == [("delete", "old words")]


def test_whitespace_only_changes_are_no_change():
    assert diff_tokens("a  b\tc", "a b c") == [("equal", "a b c")]
    assert changed_share("a  b", "a b") == 0.0


def test_html_marks_insertions_and_deletions_with_labels():
    html = diff_html("he go home", "he goes home")
    assert html == ('he <del aria-label="removed: go">go</del> <ins aria-label="added: goes">goes</ins> home')


@pytest.mark.parametrize("hostile", ['<script>alert(1)</script>', '" onmouseover="alert(1)', "&amp; <b>x</b>",
                                     "<img src=x onerror=alert(1)>"])
def test_every_token_is_escaped(hostile):
    for source, output in ((hostile, "plain text"), ("plain text", hostile), (hostile, hostile + " more")):
        html = diff_html(source, output)
        assert "<script" not in html and "<img" not in html and "<b>" not in html
        root = ElementTree.fromstring(f"<p>{html}</p>")  # well-formed: nothing broke out of a tag or attribute
        assert {el.tag for el in root.iter()} <= {"p", "ins", "del"}
        for el in root.iter():
            assert set(el.attrib) <= {"aria-label"}
        shown = unescape(re.sub(r"<[^>]+>", "", html))
        assert shown.split() == [t for op, text in diff_tokens(source, output) for t in text.split()]


def test_markup_depends_only_on_the_texts():
    assert diff_html("a b c", "a x c") == diff_html("a b c", "a x c")
    assert diff_html("a b c", "a x c") != diff_html("a b c", "a y c")


def test_changed_share():
    assert changed_share("", "") == 0.0
    assert changed_share("a b c d", "a b c d") == 0.0
    assert changed_share("a b", "c d") == 1.0
    assert changed_share("a b c d", "a b c e") == pytest.approx(1 - 2 * 3 / 8)


def test_initial_view_follows_the_study_or_the_heaviest_rewrite():
    light, heavy = "he goes home now", "completely different words here"
    source = "he go home now"
    assert changed_share(source, light) <= HEAVY_REWRITE < changed_share(source, heavy)
    assert initial_view("auto", source, (light, light)) == "diff"
    assert initial_view("auto", source, (light, heavy)) == "plain"
    assert initial_view("auto", source, (heavy, light)) == "plain"  # the order of the sides does not matter
    assert initial_view("diff", source, (heavy, heavy)) == "diff"
    assert initial_view("plain", source, (light, light)) == "plain"
