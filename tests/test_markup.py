"""Markdown body text: safe HTML, inline footnotes, pull-quote sources."""

from __future__ import annotations

from casebook.markup import render_inline, render_markdown


def test_raw_html_is_shown_as_text_never_interpreted():
    html = render_markdown('Hello <script>alert(1)</script> <img src="file:///etc/passwd">\n')
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_only_http_https_and_mailto_links_are_links():
    html = render_markdown(
        "[a](https://example.org) [b](mailto:x@example.org) [c](javascript:alert(1)) "
        "[d](file:///etc/passwd) [e](data:text/html,x)\n"
    )
    assert '<a href="https://example.org">a</a>' in html
    assert '<a href="mailto:x@example.org">b</a>' in html
    assert "javascript:" not in html.split("[c](")[0]
    assert html.count("<a ") == 2


def test_images_in_body_text_are_not_loaded():
    assert "<img" not in render_markdown("![x](../../secret.png)\n")


def test_footnotes_become_spans_at_the_call_site():
    html = render_markdown("A claim.[^1] Another.[^2]\n\n[^1]: First *source*.\n[^2]: Second.\n")
    assert html.strip() == (
        '<p>A claim.<span class="footnote">First <em>source</em>.</span> '
        'Another.<span class="footnote">Second.</span></p>'
    )


def test_blockquote_source_becomes_its_footer():
    html = render_markdown("> “Quoted words.\n>\n> — Source (2020): Title\n")
    assert '<footer class="attribution">— Source (2020): Title</footer>' in html
    assert "<p>“Quoted words.</p>" in html


def test_blockquote_without_source_keeps_its_paragraphs():
    html = render_markdown("> Just a quotation.\n")
    assert "<footer" not in html and "<p>Just a quotation.</p>" in html


def test_body_headings_are_not_headings():
    html = render_markdown("# #KeepItOn\n\nText\n---\n")
    assert "<h1" not in html and "<h2" not in html


def test_inline_markdown_has_no_paragraph():
    assert render_inline("*Emphasis* & more") == "<em>Emphasis</em> &amp; more"
