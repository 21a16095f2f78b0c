"""Which scenarios' lines `coincident` takes for identical, on axes drawn by hand (the figures: test_figures)."""

from __future__ import annotations

from matplotlib.figure import Figure

from supplychain.coincident import note, show_coincident


def _axes(lines: dict[str, list[float]]):
    """One panel with a line per scenario (gid and label its name), over days 0, 7, 14."""
    ax = Figure().add_subplot()  # no pyplot: as figures.py draws
    for sc, ys in lines.items():
        ax.plot([0.0, 7.0, 14.0], ys, gid=sc, label=f"{sc} quoted")
    return ax


def test_lines_a_fraction_apart_are_not_identical():
    """250.0 and 250.3 days are different lead times: drawn apart, not striped as one line, and not named."""
    ax = _axes({"a": [250.0, 250.0, 250.0], "b": [250.0, 250.3, 250.0], "c": [250.0, 250.0, 250.0]})
    assert show_coincident([ax], ["a", "b", "c"]) == [["a", "c"]]
    styles = {line.get_gid(): line.get_linestyle() for line in ax.get_lines()}
    assert styles["b"] == "-" and styles["a"] != "-" and styles["c"] != "-"


def test_scenarios_that_drew_no_line_are_not_named_identical():
    """A panel drawn for one scenario of three (the others had no rows): the two with no line drew nothing the same,
    and "b = c" in the title would say they coincide."""
    ax = _axes({"a": [1.0, 2.0, 3.0]})
    assert show_coincident([ax], ["a", "b", "c"]) == []


def test_identical_lines_are_matched_when_a_scenarios_name_is_also_in_a_labs():
    """Scenarios `us` and `row` drawing lab_us the same: the role was the label with the scenario's first occurrence
    taken out, `lab_ (us)` against `lab_us ()`, so the lines were not matched, one hid the other and the title
    named nothing. The scenario is taken from where the figures put it."""
    ax = Figure().add_subplot()
    for sc in ("us", "row"):
        ax.plot([0.0, 7.0], [1.0, 2.0], gid=sc, label=f"lab_us ({sc})")
        ax.plot([0.0, 7.0], [3.0, 3.0], gid=sc, label=f"{sc} quoted")
    assert show_coincident([ax], ["us", "row"]) == [["us", "row"]]
    assert all(line.get_linestyle() != "-" for line in ax.get_lines())  # each striped


def test_identical_solid_lines_take_turns_each_dashing_where_the_one_before_ends():
    """Three identical solid lines: each draws a dash of `DASH` (4 points) then leaves 8 to the other two, the second
    starting where the first's dash ends and the third where the second's does: dashes at 0, 4 and 8 of every 12
    points, so each colour shows once a turn and none covers another."""
    ax = _axes({sc: [1.0, 2.0, 3.0] for sc in ("a", "b", "c")})
    assert show_coincident([ax], ["a", "b", "c"]) == [["a", "b", "c"]]
    patterns = [line._unscaled_dash_pattern for line in ax.get_lines()]  # (offset, dashes): no getter
    assert patterns == [(0.0, (4.0, 8.0)), (4.0, (4.0, 8.0)), (8.0, (4.0, 8.0))]


def test_the_note_wraps_between_names_never_inside_a_hyphenated_one():
    """Sweep points are named like `growth-0.10-high`; the note wraps at `width` characters between words, so each
    name reads whole on one line."""
    names = [f"growth-0.{i}0-capacity-high" for i in range(1, 7)]
    text = note([names[:3], names[3:]], width=41)
    lines = text.splitlines()
    assert len(lines) > 2 and all(len(line) <= 41 for line in lines)
    assert all(any(name in line for line in lines) for name in names)
