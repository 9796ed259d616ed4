from django.template.loader import render_to_string

from apps.dashboard.templatetags.dashboard_json import json_pretty


def test_json_pretty_indents_objects_in_order():
    assert json_pretty({"b": [1, True, None], "a": {}, "c": "é"}) == (
        '{\n  "b": [\n    1,\n    true,\n    null\n  ],\n  "a": {},\n  "c": "é"\n}'
    )


def test_json_text_keeps_numbers_exactly_as_written():
    assert json_pretty('{"rate": 1.10, "big": 12345678901234567890.5, "n": []}') == (
        '{\n  "rate": 1.10,\n  "big": 12345678901234567890.5,\n  "n": []\n}'
    )


def test_text_that_is_not_json_is_returned_unchanged():
    assert json_pretty('{"object": "list", "da') == '{"object": "list", "da'
    assert json_pretty('{"x": NaN}') == '{"x": NaN}'


def test_decoded_client_floats_show_their_shortest_text():
    assert json_pretty({"quantity": 1.1, "n": [2.0]}) == (
        '{\n  "quantity": 1.1,\n  "n": [\n    2.0\n  ]\n}'
    )


def test_values_that_are_not_json_are_shown_as_text():
    assert json_pretty({"x": float("nan")}) == "{'x': nan}"


def test_partial_escapes_and_marks_empty_values():
    html = render_to_string("dashboard/developers/_json.html", {"value": {"q": "<b>"}})
    assert "&lt;b&gt;" in html
    assert "<b>" not in html
    assert "—" in render_to_string("dashboard/developers/_json.html", {"value": None})
