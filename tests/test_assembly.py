"""An assembly stock point fed by two base-stock component points, with Poisson demand, against its exact analysis.

sa -(L1)-> A (base stock s1) -> asm (base stock s0; one a + one b a unit, assembly time c) -> unit Poisson demand
sb -(L2)-> B (base stock s2) -> asm                                                           (lam orders a day)

One-for-one replenishment passes every demand up unchanged: demand n (at t_n) orders kit n at asm, and kit n
orders one a at A and one b at B at t_n. Backorders are served first come first served and the lead times are
fixed, so component i's n-th order is filled by the replenishment its (n - s_i)-th order started, and

    kit n is done at  K_n = max(t_n, t_{n-s1} + L1, t_{n-s2} + L2) + c,   demand n ships at max(t_n, K_{n-s0})

(t_k = -inf for k <= 0: the initial stock). K_n never decreases, so kits finish in order, and the kits
outstanding at any time t are, with N(x) the demands in (t - x, t] (a Poisson process counted back from t),

    O = max(N(c), N(L1 + c) - s1, N(L2 + c) - s2):

both components' backorders fall on the same latest kits, so the assembly waits for the larger, not for
the sum or for independent draws (Rosling, Optimal inventory policies for assembly systems under random
demands, Oper. Res. 37(4), 1989: with fixed lead times an assembly system is a serial one; Zipkin,
Foundations of Inventory Management, ch. 8). The net stock at asm is s0 - O, so (Poisson arrivals see time
averages) its fill rate is P(O <= s0 - 1), mean on hand E[(s0 - O)+], mean backorders E[(O - s0)+], and a
kit finds both components on hand with P(N(L1) <= s1 - 1, N(L2) <= s2 - 1). N over nested windows has
independent Poisson increments, so P(O <= m) is a convolution of Poisson pmfs cut at each window's bound.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from supplychain.results import simulate

from conftest import topo

# asm fills 0.735 of demand at once (0.643 were the components independent, 0.857 had they never run out)
LAM, L1, L2, C, S1, S2, S0 = 2.0, 3.0, 5.0, 1.0, 8, 12, 4
SC = {"name": "asm", "start": "2022-01-01", "end": "2024-12-31", "seed": 7}
DAYS = float((pd.Timestamp(SC["end"]) - pd.Timestamp(SC["start"])).days + 1)
N = np.arange(0, 400)  # Poisson support far past every bound used here


def assembly():
    return topo(
        [
            {"id": "sa", "kind": "source", "makes": ["a"]},
            {"id": "sb", "kind": "source", "makes": ["b"]},
            {"id": "A", "kind": "stock", "item": "a", "policy": "base_stock", "base_stock": S1},
            {"id": "B", "kind": "stock", "item": "b", "policy": "base_stock", "base_stock": S2},
            {"id": "asm", "kind": "stock", "item": "ab", "policy": "base_stock", "base_stock": S0,
             "bom": {"a": 1, "b": 1}, "cycle_time": C},
            {"id": "cust", "kind": "demand", "item": "ab", "demand": {"mode": "poisson", "rate": LAM, "size": 1}},
        ],
        [
            {"from": "sa", "to": "A", "product": "a", "transport": L1},
            {"from": "sb", "to": "B", "product": "b", "transport": L2},
            {"from": "A", "to": "asm", "product": "a"},
            {"from": "B", "to": "asm", "product": "b"},
            {"from": "asm", "to": "cust", "product": "ab"},
        ],
        {"a": {"kind": "item"}, "b": {"kind": "item"}, "ab": {"kind": "item"}},
    )


def max_cdf(windows: list[float], offsets: list[int], m: int, independent: bool = False) -> float:
    """P(max_j (N(w_j) - k_j) <= m) for N a Poisson process of rate LAM over nested windows back from
    now; `independent` draws each N(w_j) on its own instead (the wrong model, to show the test tells)."""
    if independent:
        return float(np.prod([stats.poisson.cdf(m + k, LAM * w) for w, k in zip(windows, offsets)]))
    f, prev = (N == 0).astype(float), 0.0
    for w, k in sorted(zip(windows, offsets)):
        f = np.convolve(f, stats.poisson.pmf(N, LAM * (w - prev)))[: len(N)]  # add the increment over (prev, w]
        f[N > m + k] = 0.0
        prev = w
    return float(f.sum())


def exact(independent: bool = False) -> dict[str, float]:
    """The expected figures of the module docstring (O's tail summed to its far end)."""
    cdf = np.array([max_cdf([C, L1 + C, L2 + C], [0, S1, S2], m, independent) for m in range(60)])
    assert cdf[-1] > 1 - 1e-12
    return {"fill_rate": cdf[S0 - 1], "mean_on_hand": float(cdf[:S0].sum()),
            "mean_backorders": float((1 - cdf[S0:]).sum()), "on_order": float((1 - cdf).sum()),
            "kitted_at_once": max_cdf([L1, L2], [S1, S2], -1, independent)}


@pytest.fixture(scope="module")
def runs():
    return [simulate(assembly(), SC, replication=r) for r in range(10)]


def kits(r) -> pd.DataFrame:
    o = r.orders
    return o[o["kind"] == "assembly"].sort_values("order_id")


def test_assembly_base_stock_matches_the_exact_analysis(runs):
    """asm's fill rate, mean on hand and backorders, and the share of kits that found both components
    on hand, within their t intervals over independent replications (99 % for the six together); the
    component points are single-stage base stocks, fill rate P(N(L_i) <= s_i - 1) (Zipkin ch. 6)."""
    expect = {("asm", k): v for k, v in exact().items() if k != "on_order"}
    expect[("A", "fill_rate")] = stats.poisson.cdf(S1 - 1, LAM * L1)
    expect[("B", "fill_rate")] = stats.poisson.cdf(S2 - 1, LAM * L2)
    tables = [r.stocks.set_index("node") for r in runs]
    at_once = np.array([(kits(r)["kitted"] == kits(r)["ordered"]).mean() for r in runs])
    ci = {}
    for (node, name), value in expect.items():
        xs = at_once if name == "kitted_at_once" else np.array([t.loc[node, name] for t in tables])
        lo, hi = stats.t.interval(1 - 0.01 / len(expect), len(xs) - 1, loc=xs.mean(), scale=stats.sem(xs))
        assert lo <= value <= hi, f"{node} {name}: analytic {value:.4f} outside its CI ({lo:.4f}, {hi:.4f})"
        ci[(node, name)] = (lo, hi)
    # the test tells the exact model from the ones an engine with a wrong assembly would follow: components
    # waited for as if independent, or not at all (asm behaving as a single stage of lead time c)
    wrong = exact(independent=True)
    for name in ("fill_rate", "kitted_at_once"):
        lo, hi = ci[("asm", name)]
        assert not lo <= wrong[name] <= hi, (name, wrong[name], lo, hi)
    lo, hi = ci[("asm", "fill_rate")]
    assert hi < stats.poisson.cdf(S0 - 1, LAM * C)


def back(t: np.ndarray, s: int, lead: float) -> np.ndarray:
    """t_{n-s} + lead for every n: when the replenishment s orders back arrives (-inf: the initial stock)."""
    return np.concatenate([np.full(s, -np.inf), t[:-s] + lead])


def test_every_kit_and_every_demand_line_follow_the_sample_path_recursion(runs):
    """The recursion of the module docstring holds line by line, on every run: a kit is done c after the
    later of its components, each the replenishment s_i orders back, and asm ships demand n with kit n - s0.
    This is what the fill rate above rests on, checked without sampling error."""
    for r in runs:
        o = r.orders
        d = o[o["kind"] == "demand"].sort_values("order_id")
        k = kits(r)
        t = d["ordered"].to_numpy()
        assert len(t) > 2000 and np.allclose(k["ordered"].to_numpy(), t)  # kit n ordered by demand n

        done = np.maximum(np.maximum(t, back(t, S1, L1)), back(t, S2, L2)) + C
        ship = np.maximum(t, back(done, S0, 0.0))
        for got, want in ((k["delivered"].to_numpy(), done), (d["shipped"].to_numpy(), ship)):
            seen = ~np.isnan(got)
            assert got[seen] == pytest.approx(want[seen], abs=1e-9)
            assert (want[~seen] > DAYS - 1e-9).all()  # the lines still open are the ones due after the end


def test_a_kit_taking_two_of_a_component_waits_for_the_whole_order():
    """One a and two b a unit, s2 odd: B's orders are of two units, filled in part when one is left (as
    test_inventory's compound Poisson), and the kit waits for both. B's n-th order is whole once s2 + 2 x
    (replenishments arrived) >= 2 n, so the recursion holds with s2 // 2 in place of s2."""
    s2 = 25
    model = assembly()
    for n in model.nodes:
        if n.id == "asm":
            n.bom = {"a": 1, "b": 2}
        elif n.id == "B":
            n.base_stock = s2
    r = simulate(model, {**SC, "end": "2022-12-31"})
    o, k = r.orders, kits(r)
    t = k["ordered"].to_numpy()
    b = o[(o["kind"] == "replenish") & (o["supplier"] == "B")]
    assert (b["qty"] == 2).all() and ((b["shipped"] == b["ordered"]) & (b["delivered"] > b["ordered"])).sum() > 20

    done = np.maximum(np.maximum(t, back(t, S1, L1)), back(t, s2 // 2, L2)) + C
    got = k["delivered"].to_numpy()
    seen = ~np.isnan(got)
    assert seen.sum() > 600 and got[seen] == pytest.approx(done[seen], abs=1e-9)
    assert (done[~seen] > 365 - 1e-9).all()


def test_the_assembly_pipeline_obeys_its_position_and_littles_law(runs):
    """Under continuous-review base stock asm's position stays at s0, so per run mean on hand - mean
    backorders = s0 - mean kits on order (the stock point's integrals against its kit lines), exactly; by
    Little's law the kits on order are the kit rate x the mean kit lead time (less the kits open at the
    end); and over the replications the kits on order match E[O] of the module docstring."""
    on_order = []
    for r in runs:
        k = kits(r)
        row = r.stocks.set_index("node").loc["asm"]
        time_in = k["delivered"].fillna(DAYS).clip(upper=DAYS) - k["ordered"]
        pipeline = float(time_in.mul(k["qty"]).sum() / DAYS)
        assert row["mean_on_hand"] - row["mean_backorders"] == pytest.approx(S0 - pipeline, abs=1e-9)
        lead = (k["delivered"] - k["ordered"]).dropna()  # the kits done
        assert pipeline == pytest.approx(len(k) / DAYS * lead.mean(), rel=0.02)
        assert (lead >= C - 1e-9).all()
        on_order.append(pipeline)
    xs = np.array(on_order)
    lo, hi = stats.t.interval(0.99, len(xs) - 1, loc=xs.mean(), scale=stats.sem(xs))
    value = exact()["on_order"]
    assert lo <= value <= hi, f"kits on order: analytic {value:.4f} outside its CI ({lo:.4f}, {hi:.4f})"
    assert 0.9 * value < lo and hi < 1.1 * value
