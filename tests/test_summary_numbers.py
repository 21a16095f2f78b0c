"""The numbers summary.md prints, worked by hand from small tables: which labs are the largest, a release date,
a peak quote in weeks and the customer and date it names, the weeks without a finite quote, each lab's cause
shares, and that the summary built one replication at a time (`summary_rows`) reads as the whole tables'."""

from __future__ import annotations

import pandas as pd

from supplychain.engine.record import day_dates
from supplychain.experiment import concat_tables
from supplychain.summary import (labs_by_size, largest_labs, peak_lead_times, release_table, share_text, summarise,
                                 summary_rows)

START = pd.Timestamp("2024-01-01")
INF = float("inf")
NO_ORDERS = pd.DataFrame(columns=["kind", "cause", "product", "qty", "lab"])
NO_GENERATIONS = pd.DataFrame(columns=["lab", "generation", "day", "date", "replication"])


def _fleet(labs: list[str], replications: int = 1) -> pd.DataFrame:
    return pd.DataFrame([{"lab": lab, "day": 14.0, "date": START + pd.Timedelta(days=14), "replication": r,
                          "installed_h100e": 10.0, "stranded_h100e": 0.0, "power_mw": 5.0}
                         for lab in labs for r in range(replications)])


def _quotes(rows: list[tuple]) -> pd.DataFrame:
    """(replication, customer, day, quoted days) rows of h100 quotes."""
    lt = pd.DataFrame(rows, columns=["replication", "customer", "day", "quoted_days"])
    return lt.assign(supplier="nvidia", product="h100", date=START + pd.to_timedelta(lt["day"], unit="D"))


def _peak_line(text: str) -> str:
    return next(x for x in text.split("## Peak quoted lead time")[1].splitlines() if x.startswith("- h100"))


def test_a_labs_size_is_its_largest_fleet_on_the_last_date_in_any_replication():
    """On the last date lab_b has 15 H100e in one replication (0 in the other), lab_c 12 in each, lab_a 10 in each
    (after 100 on the first date): largest first b, c, a. Summed over replications c (24) and a (20) would lead,
    and on the first date a would."""
    rows = [("lab_a", 0, 100.0, 10.0), ("lab_a", 1, 100.0, 10.0), ("lab_b", 0, 0.0, 15.0), ("lab_b", 1, 0.0, 0.0),
            ("lab_c", 0, 0.0, 12.0), ("lab_c", 1, 0.0, 12.0)]
    fleet = pd.DataFrame([{"lab": lab, "replication": r, "date": START + pd.Timedelta(days=d), "installed_h100e": h}
                          for lab, r, first, last in rows for d, h in ((0, first), (7, last))])
    assert labs_by_size(fleet) == ["lab_b", "lab_c", "lab_a"]
    assert largest_labs(fleet, limit=2) == ["lab_b", "lab_c"]


def test_a_release_on_a_day_a_hair_short_of_whole_has_the_date_of_the_generations_table():
    """Day numbers are sums of floats, a hair off whole: `whole_days` dates a day within 1e-9 of 10 as day 10
    (2024-01-11) in the generations table; the summary's release date is that date, not the day before (day
    10 - 1e-10, 9 microseconds before midnight, fell on 2024-01-10)."""
    day = pd.Series([10 - 1e-10])
    assert day.iloc[0] < 10
    gens = pd.DataFrame({"lab": "lab_us", "generation": 0, "day": day, "replication": 0,
                         "date": day_dates(START.date(), day)})
    assert str(gens["date"].dt.date.iloc[0]) == "2024-01-11"
    assert str(release_table(gens)["release"].iloc[0]) == "2024-01-11"


def test_the_peak_quote_is_the_longest_finite_one_and_a_week_of_no_quote_to_two_labs_is_one_week():
    """lab_us is quoted 70, then nothing finite (inf) in week 2, then 140 days; lab_cn the same week inf, then 70
    days. The peak is 140 days, 20 weeks, on 2024-01-15 to lab_us (not "over 10 years"), and the one week without a
    finite quote is one week, though two labs were not quoted in it."""
    lt = _quotes([(0, "lab_us", 0.0, 70.0), (0, "lab_us", 7.0, INF), (0, "lab_us", 14.0, 140.0),
                  (0, "lab_cn", 7.0, INF), (0, "lab_cn", 14.0, 70.0)])
    peak = peak_lead_times(lt, {"lab_us", "lab_cn"}, ["h100"]).iloc[0]
    assert (peak["peak_weeks"], peak["customer"], peak["date"]) == (20.0, "lab_us", pd.Timestamp("2024-01-15"))
    text = summarise({"fleet": _fleet(["lab_us", "lab_cn"]), "generations": NO_GENERATIONS, "lead_times": lt,
                      "orders": NO_ORDERS}, {"h100": 1.0}, "run")
    assert _peak_line(text) == ("- h100: 20 weeks (2024-01-15, to lab_us); no finite quote in 1 weeks (a supplier at "
                                "zero capacity), left out of the peak")


def test_the_peak_quote_is_the_median_of_the_replications_peaks_not_their_mean():
    """Three replications peak at 10, 20 and 60 weeks (to lab_0, lab_1, lab_2 on days 7, 14, 21): the summary's peak
    is 20 weeks, the middle replication's, on 2024-01-15 to lab_1 (their mean is 30 weeks)."""
    lt = _quotes([row for r, weeks in enumerate((10.0, 20.0, 60.0))
                  for row in ((r, f"lab_{r}", 0.0, 7.0), (r, f"lab_{r}", 7.0 * (r + 1), 7.0 * weeks))])
    peak = peak_lead_times(lt).iloc[0]
    assert (peak["peak_weeks"], peak["customer"], peak["date"]) == (20.0, "lab_1", pd.Timestamp("2024-01-15"))


def test_each_labs_cause_shares_are_of_its_own_orders():
    """lab_a's 30 H100e all waited in the fab's queue, lab_b's 10 for power: each reads 100 %, not a share of the
    40 H100e of both labs (75 % and 25 %)."""
    orders = pd.DataFrame({"kind": "lab", "lab": ["lab_a", "lab_b"], "product": "h100", "qty": [30.0, 10.0],
                           "cause": ["queue:fab", "power:lab_b"]})
    text = summarise({"fleet": _fleet(["lab_a", "lab_b"]), "generations": NO_GENERATIONS,
                      "lead_times": _quotes([(0, "lab_a", 0.0, 70.0)]), "orders": orders}, {"h100": 1.0}, "run")
    assert "- lab_a: queue:fab 100%\n- lab_b: power:lab_b 100%\n" in text


def test_a_share_that_rounds_to_one_percent_reads_one_percent():
    """`<1%` is for a share that would print 0 %: 0.7 % prints 1 %, 0.4 % `<1%`."""
    assert [share_text(s) for s in (0.004, 0.007, 0.012)] == ["<1%", "1%", "1%"]


def test_the_summary_of_each_replications_rows_reads_as_the_whole_tables_with_weeks_without_a_quote():
    """Replication 0 quotes lab_us 70, 140, then inf; replication 1 84, inf, then 98 days. The peak is the median of
    140 and 98 days, 17 weeks, dated as the lower one (replication 1's, 2024-01-15), with one week without a finite
    quote in each: a run folder's summary, built from each replication's `summary_rows`, says the same."""
    lt = _quotes([(0, "lab_us", 0.0, 70.0), (0, "lab_us", 7.0, 140.0), (0, "lab_us", 14.0, INF),
                  (1, "lab_us", 0.0, 84.0), (1, "lab_us", 7.0, INF), (1, "lab_us", 14.0, 98.0)])
    whole = {"fleet": _fleet(["lab_us"], 2), "generations": NO_GENERATIONS, "lead_times": lt,
             "orders": NO_ORDERS.assign(replication=[])}
    parts = [summary_rows({k: v[v["replication"] == r] for k, v in whole.items()}) for r in range(2)]
    lean, full = (summarise(t, {"h100": 1.0}, "run") for t in (concat_tables(parts), whole))
    assert _peak_line(full) == ("- h100: 17 weeks (2024-01-15, to lab_us); no finite quote in 1 weeks (a supplier at "
                                "zero capacity), left out of the peak")
    assert lean == full


def test_a_summary_of_as_many_labs_as_it_lists_says_nothing_of_a_cut():
    """Two labs, both listed: no line saying that only the largest are (it reads as labs left out)."""
    text = summarise({"fleet": _fleet(["lab_a", "lab_b"]), "generations": NO_GENERATIONS,
                      "lead_times": _quotes([(0, "lab_a", 0.0, 70.0)]), "orders": NO_ORDERS}, {"h100": 1.0}, "run")
    assert "listed are" not in text and "- lab_a: 10 H100e installed" in text and "- lab_b: 10 H100e installed" in text


def test_the_fleet_at_the_end_is_the_median_over_replications():
    """Three replications end with 10, 20 and 60 H100e installed (2, 4, 12 MW connected): the summary says 20 and 4,
    the middle ones (their means are 30 and 6)."""
    fleet = pd.DataFrame({"lab": "lab_us", "day": 14.0, "replication": [0, 1, 2], "installed_h100e": [10.0, 20.0, 60.0],
                          "stranded_h100e": 0.0, "power_mw": [2.0, 4.0, 12.0]})
    text = summarise({"fleet": fleet, "generations": NO_GENERATIONS, "lead_times": _quotes([(0, "lab_us", 0.0, 70.0)]),
                      "orders": NO_ORDERS}, {"h100": 1.0}, "run")
    assert "- lab_us: 20 H100e installed, 0 stranded, 4 MW connected\n" in text


def test_a_quote_over_ten_years_is_said_as_a_backlog_not_in_weeks():
    """A peak of 600 weeks (4,200 days) is an order backlog: "over 10 years", not "600 weeks"; 500 weeks is weeks."""
    for days, said in ((4200.0, "over 10 years (orders far beyond capacity)"), (3500.0, "500 weeks")):
        text = summarise({"fleet": _fleet(["lab_us"]), "generations": NO_GENERATIONS, "orders": NO_ORDERS,
                          "lead_times": _quotes([(0, "lab_us", 7.0, days)])}, {"h100": 1.0}, "run")
        assert _peak_line(text) == f"- h100: {said} (2024-01-08, to lab_us)"


def test_a_generation_every_replication_reached_has_its_date_alone_and_no_note():
    """Both replications released g0 (days 10 and 12): the median, day 11, 2024-01-12, with nothing about
    replications that did not reach it."""
    gens = pd.DataFrame({"lab": "lab_us", "generation": 0, "day": [10.0, 12.0], "replication": [0, 1]})
    gens["date"] = day_dates(START.date(), gens["day"])
    text = summarise({"fleet": _fleet(["lab_us"], 2), "generations": gens, "orders": NO_ORDERS,
                      "lead_times": _quotes([(0, "lab_us", 0.0, 70.0)])}, {"h100": 1.0}, "run")
    assert "- lab_us: g0 2024-01-12\n" in text and "A date is the median" not in text
