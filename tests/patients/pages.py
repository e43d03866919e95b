"""Reading submitted values back out of a rendered form."""

import html
import re


def _tag(response, pattern: str) -> str:
    match = re.search(pattern, response.content.decode(), re.S)
    assert match, f"no element matching {pattern!r} in the page"
    return match.group(0)


def input_value(response, name: str) -> str:
    """The value attribute of the input called `name` ("" when it has none)."""
    tag = _tag(response, rf'<input[^>]*\bname="{re.escape(name)}"[^>]*>')
    return html.unescape(re.search(r'\bvalue="([^"]*)"|$', tag).group(1) or "")


def selected_option(response, name: str) -> str:
    select = _tag(response, rf'<select[^>]*\bname="{re.escape(name)}"[^>]*>.*?</select>')
    return html.unescape(re.search(r'<option value="([^"]*)"[^>]*\bselected', select).group(1))


def checked_radio(response, name: str) -> str:
    tag = _tag(response, rf'<input[^>]*\bname="{re.escape(name)}"[^>]*\bchecked[^>]*>')
    return html.unescape(re.search(r'\bvalue="([^"]*)"', tag).group(1))


def shows(response, message: str) -> bool:
    """The message appears in the page, as the template escapes it."""
    return html.escape(message) in response.content.decode()
