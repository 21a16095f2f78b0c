"""The calibrated default network (and its friend-shored what-if): loads, sources, calibration.

The ranges and conversion figures below are copied from ../shared/calibration.md and the
Epoch AI chip sales data (../shared/data/epoch-ai-chip-counts), not fitted to the topology:
if a test fails, the topology has drifted from its published sources.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Iterator

import pytest

from supplychain.topology import load_topology, read_yaml

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "topology" / "default.yaml"
FRIENDSHORED = ROOT / "topology" / "friendshored_2030.yaml"
FILES = [DEFAULT, FRIENDSHORED]

NODE_IDS = {
    "equipment": {"asml", "us_tools", "japan_tools"},
    "fab": {"tsmc_tw", "tsmc_az", "samsung_foundry", "intel_foundry", "smic"},
    "memory": {"skhynix", "samsung_hbm", "micron", "cxmt"},
    "packaging": {"tsmc_cowos", "amkor", "ase_spil", "china_packaging"},
    "vendor": {"nvidia", "amd", "google_tpu", "aws_trainium", "huawei"},
    "grid": {"grid_us", "grid_cn", "grid_row"},
    "lab": {"lab_us", "lab_cn", "lab_row"},
}
SKUS = {
    "a100", "a800", "h100", "h800", "h20", "h200", "b200", "b300", "mi300x", "mi355x", "tpu_v4", "tpu_v5e", "tpu_v5p",
    "tpu_v6e", "tpu_v7", "trainium1", "trainium2", "ascend_910b", "ascend_910c",
}

# calibration.md s4, "H100e conversion per unit (Epoch chip hub)"; H800 = H100 and TPU v4 from the hub's
# csv (9,166 H100e / 65,964 units in Q4 2022), as they are not in that row.
EPOCH_H100E = {
    "a100": 0.315, "a800": 0.315, "h100": 1.0, "h800": 1.0, "h200": 1.0, "h20": 0.15, "b200": 2.53, "b300": 2.53,
    "mi300x": 1.32, "mi355x": 2.54, "tpu_v4": 0.139, "tpu_v5e": 0.2, "tpu_v5p": 0.46, "tpu_v6e": 0.93, "tpu_v7": 2.33,
    "trainium1": 0.21, "trainium2": 0.66,
}
# First and last quarter with sales in the Epoch hub csv files (quarter start dates). A SKU first sold in the
# first quarter a designer's series covers may predate the series, so only `available <= series start` is
# required for it; "last" SKUs have no sales after that quarter (discontinued = the next quarter's start).
SERIES_START = {"nvidia": "2022-01-01", "google_tpu": "2022-10-01", "amd": "2024-01-01", "aws_trainium": "2024-01-01"}
EPOCH_FIRST = {
    "a100": "2022-01-01", "a800": "2022-10-01", "h100": "2022-07-01", "h800": "2023-01-01", "h20": "2024-01-01",
    "b200": "2024-10-01", "b300": "2025-04-01", "mi300x": "2024-01-01", "mi355x": "2025-07-01", "tpu_v4": "2022-10-01",
    "tpu_v5e": "2022-10-01", "tpu_v5p": "2023-10-01", "tpu_v6e": "2024-07-01", "tpu_v7": "2025-07-01",
    "trainium1": "2024-01-01", "trainium2": "2024-01-01",
}
EPOCH_DISCONTINUED = {
    "a100": "2024-01-01", "a800": "2024-01-01", "h800": "2024-01-01", "h100": "2026-01-01", "h20": "2025-10-01",
    "tpu_v4": "2023-10-01", "tpu_v5e": "2025-04-01", "tpu_v5p": "2025-07-01", "trainium1": "2025-01-01",
}

# calibration.md s9 and s4 "Global AI compute stock": the installed H100e the labs' targets must
# bracket at each year end. 2023: Epoch 2030's 10th percentile (1.4M) .. AI-2027's ~4M; 2024: the Epoch
# hub's cumulative 2022-24 output (0.30M + 1.3M + 4.9M ~ 6.5M) .. AI-2027's 8.5M; 2025: Epoch data
# centres' ~15M delivered by late 2025 .. AI-2027's 18M.
STOCK_RANGES = {
    dt.date(2023, 12, 31): (1.4e6, 4.0e6),
    dt.date(2024, 12, 31): (6.5e6, 8.5e6),
    dt.date(2025, 12, 31): (15e6, 18e6),
}


@pytest.fixture(scope="module", params=FILES, ids=lambda p: p.name)
def graph(request):
    return load_topology(request.param)


@pytest.fixture(scope="module")
def model():
    return load_topology(DEFAULT).graph["model"]


def test_both_files_load_and_validate(graph) -> None:
    m = graph.graph["model"]
    assert graph.number_of_nodes() == len(m.nodes) >= 28


def test_the_agreed_node_and_sku_ids_are_there(graph) -> None:
    kinds = {n: a["kind"] for n, a in graph.nodes(data=True)}
    for kind, ids in NODE_IDS.items():
        for i in ids:
            assert kinds.get(i) == kind, f"{i} should be a {kind}"
    products = graph.graph["model"].products
    for sku in SKUS:
        assert products[sku].kind == "accelerator"
    assert "huawei" in graph.nodes["huawei"]["entities"]


def test_friendshored_keeps_every_default_id() -> None:
    d, f = load_topology(DEFAULT), load_topology(FRIENDSHORED)
    assert set(d.nodes) <= set(f.nodes)
    assert set(d.graph["products"]) <= set(f.graph["products"])
    assert {n for n in f.nodes if f.nodes[n]["country"] in ("US", "JP")} > {n for n in d.nodes if d.nodes[n]["country"] in ("US", "JP")}


# --------------------------------------------------------------------------- provenance
def _figures(data: Any, path: str = "", sourced: bool = False) -> Iterator[tuple[str, Any, bool]]:
    """Every number in the raw YAML with whether a `source` covers it (on it or an enclosing mapping)."""
    if isinstance(data, dict):
        here = sourced or (isinstance(data.get("source"), str) and data["source"].strip() != "")
        for k, v in data.items():
            yield from _figures(v, f"{path}.{k}" if path else str(k), here)
    elif isinstance(data, list):
        for i, v in enumerate(data):
            key = v.get("id") if isinstance(v, dict) and "id" in v else (
                f"{v.get('from')}->{v.get('to')}:{v.get('product')}" if isinstance(v, dict) and "from" in v else i)
            yield from _figures(v, f"{path}.{key}", sourced)
    elif isinstance(data, (int, float)) and not isinstance(data, bool):
        yield path, data, sourced


def _sources(data: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(data, dict):
        for k, v in data.items():
            if k == "source":
                yield f"{path}.source", v
            else:
                yield from _sources(v, f"{path}.{k}" if path else str(k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _sources(v, f"{path}.{i}")


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_figure_carries_a_source(path: Path) -> None:
    raw = read_yaml(path)
    figures = list(_figures({k: v for k, v in raw.items() if k in ("products", "nodes", "edges")}))
    assert len(figures) > 500
    missing = [p for p, _, ok in figures if not ok]
    assert not missing, f"figures without a source: {missing[:10]}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_source_is_empty_and_assumptions_say_why(path: Path) -> None:
    for where, text in _sources(read_yaml(path)):
        assert isinstance(text, str) and text.strip(), f"{where} is empty"
        if text.lower().startswith("assumption"):
            # "assumption: why" (or "assumption (what-if): why"); a bare "assumption (citation)" says no why
            assert ":" in text and len(text.split(":", 1)[1].strip()) > 10, f"{where}: an assumption should say why ({text!r})"


def test_every_node_product_and_edge_is_sourced(model) -> None:
    """Nodes, products, BOMs and edges each carry a source on themselves or on every figure they hold."""
    raw = read_yaml(DEFAULT)
    for pid, p in raw["products"].items():
        assert p.get("source"), f"products.{pid} has no source"
        if "bom" in p:
            assert p["bom"].get("source"), f"products.{pid}.bom has no source"
    for n in raw["nodes"]:
        figures = [k for k in ("capacity", "ai_share", "yield", "cycle_time", "power_mw", "target_h100e") if k in n]
        for k in figures:
            assert isinstance(n[k], dict) and n[k].get("source"), f"nodes.{n['id']}.{k} has no source"
        if n.get("fleet") or n.get("packages_per_wafer"):
            assert n.get("source"), f"nodes.{n['id']} holds figures but no source"
    for e in raw["edges"]:
        assert e.get("source") or all(isinstance(e.get(k), dict) and e[k].get("source") for k in ("share", "transport") if k in e)


# --------------------------------------------------------------------------- Epoch calibration
@pytest.mark.parametrize("sku", sorted(EPOCH_H100E))
def test_h100e_matches_the_epoch_conversion(model, sku: str) -> None:
    assert model.products[sku].h100e == pytest.approx(EPOCH_H100E[sku], abs=0.006)


@pytest.mark.parametrize("sku", sorted(EPOCH_FIRST))
def test_availability_matches_the_epoch_sales_series(model, sku: str) -> None:
    p = model.products[sku]
    first = dt.date.fromisoformat(EPOCH_FIRST[sku])
    start = dt.date.fromisoformat(SERIES_START[p.vendor])
    if first > start:
        assert p.available == first
    else:
        assert p.available is not None and p.available <= first
    if sku in EPOCH_DISCONTINUED:
        assert p.discontinued == dt.date.fromisoformat(EPOCH_DISCONTINUED[sku])


def test_epoch_series_agree_with_the_tables_above() -> None:
    """When the shared Epoch csv files are present, the first/last quarters above are theirs."""
    import csv

    folder = ROOT.parent / "shared" / "data" / "epoch-ai-chip-counts"
    if not folder.exists():
        pytest.skip("shared Epoch data not present")
    names = {"A100": "a100", "A800": "a800", "H100": "h100", "H800": "h800", "H20": "h20", "B200": "b200",
             "B300": "b300", "Instinct MI300X": "mi300x", "Instinct MI355X": "mi355x", "TPU v4": "tpu_v4",
             "TPU v5e": "tpu_v5e", "TPU v5p": "tpu_v5p", "TPU v6e": "tpu_v6e", "TPU v7": "tpu_v7",
             "Trainium1": "trainium1", "Trainium2": "trainium2"}
    seen: dict[str, list[dt.date]] = {}
    for f in folder.glob("*.csv"):
        with f.open(newline="") as fh:
            for row in csv.DictReader(fh):
                sku = names.get(row["Chip type"])
                if sku:
                    m, d, y = (int(x) for x in row["Start date"].split("/"))
                    seen.setdefault(sku, []).append(dt.date(y, m, d))
    for sku, dates in seen.items():
        assert min(dates).isoformat() == EPOCH_FIRST[sku], sku
        if sku in EPOCH_DISCONTINUED:
            last = max(dates)
            nxt = dt.date(last.year + (last.month == 10), (last.month + 2) % 12 + 1, 1)
            assert nxt.isoformat() == EPOCH_DISCONTINUED[sku], sku


# --------------------------------------------------------------------------- export-control figures
def test_china_variants_sit_where_the_rules_put_them(model) -> None:
    """calibration.md s7: Oct 2022 = TPP >= 4,800 (and I/O >= 600 GB/s); Oct 2023 = TPP >= 4,800, or TPP >= 1,600
    with performance density >= 5.92. A800/H800 keep A100/H100 compute; H20 falls below the 2023 tests."""
    P = model.products

    def caught_2023(p) -> bool:
        return p.tpp >= 4800 or (p.tpp >= 1600 and p.perf_density >= 5.92)

    assert P["a100"].tpp == pytest.approx(4992, rel=0.01) and P["h100"].tpp == pytest.approx(15832, rel=0.01)
    assert P["a800"].tpp == P["a100"].tpp and P["h800"].tpp == P["h100"].tpp
    assert caught_2023(P["a800"]) and caught_2023(P["h800"])
    assert not caught_2023(P["h20"]) and P["h20"].tpp == pytest.approx(2368, rel=0.01)
    assert P["a100"].compliant_variant == "a800" and P["h100"].compliant_variant == "h800"
    assert P["h200"].compliant_variant == "h20"
    for pid, p in P.items():
        if p.kind == "hbm":
            assert p.bw_density > 2.0, f"{pid} should be caught by 3A090.c (> 2 GB/s/mm2)"


def test_china_supply_paths(model) -> None:
    edges = {(e.source_id, e.target, e.product) for e in model.edges}
    for sku in ("a800", "h800", "h20", "ascend_910b", "ascend_910c"):
        vendor = model.products[sku].vendor
        assert (vendor, "lab_cn", sku) in edges
    assert ("smic", "china_packaging", "ascend_die") in edges and ("cxmt", "china_packaging", "hbm2e") in edges
    smic = next(n for n in model.nodes if n.id == "smic")
    assert smic.expansion is not None and model.products[smic.expansion.tool].kind == "tool"
    tool_suppliers = {e.source_id for e in model.edges if e.target == "smic"}
    assert {"asml", "us_tools", "japan_tools"} <= tool_suppliers


# --------------------------------------------------------------------------- BOM geometry
def test_dies_per_wafer_is_gross_geometry(model) -> None:
    """Epoch 2030: a reticle-size (814 mm2) die gives ~60-65 candidates per 300 mm wafer, 20/28/40 good."""
    h100 = model.products["h100"].bom
    assert 60 <= h100.dies_per_wafer <= 65
    tsmc = next(n for n in model.nodes if n.id == "tsmc_tw")
    good = h100.dies_per_wafer * tsmc.yield_.at(dt.date(2024, 6, 30))
    assert 20 <= good <= 40
    assert model.products["b200"].bom.logic_dies == 2 and model.products["b200"].bom.packaging_units > 1
    assert model.products["b200"].bom.hbm_stacks == 8 and model.products["h100"].bom.hbm_stacks == 5


def test_cowos_capacity_follows_the_published_year_ends(model) -> None:
    """calibration.md s2: end-2023 14-15k, end-2024 33-40k, end-2025 65-80k, end-2026 100-150k wafers/month."""
    cowos = next(n for n in model.nodes if n.id == "tsmc_cowos")
    for year, (lo, hi) in {2023: (14e3, 15e3), 2024: (33e3, 40e3), 2025: (65e3, 80e3), 2026: (100e3, 150e3)}.items():
        wpm = cowos.capacity.at(dt.date(year, 12, 31)) * 4.345
        assert lo * 0.99 <= wpm <= hi * 1.01, (year, wpm)


def test_hbm_stack_yields_sit_in_the_published_range(graph) -> None:
    """calibration.md s3 "HBM manufacturing penalties": stack yield 20-30 % below DRAM's ~90 %, i.e. ~0.63-0.72,
    for the Korean and US makers on every day of 2022-2026 (Micron's and Samsung's 2023 once sat at 0.60)."""
    makers = {n.id: n for n in graph.graph["model"].nodes if n.id in {"skhynix", "samsung_hbm", "micron"}}
    assert set(makers) == {"skhynix", "samsung_hbm", "micron"}
    for day in (dt.date(2022, 1, 1) + dt.timedelta(days=d) for d in range(0, 5 * 365, 7)):
        for node_id, node in makers.items():
            assert 0.63 - 1e-9 <= node.yield_.at(day) <= 0.72 + 1e-9, (node_id, day, node.yield_.at(day))


# --------------------------------------------------------------------------- lab demand
@pytest.mark.parametrize("when", sorted(STOCK_RANGES))
def test_lab_targets_bracket_the_published_compute_stock(model, when: dt.date) -> None:
    lo, hi = STOCK_RANGES[when]
    total = sum(n.target_h100e.at(when) for n in model.nodes if n.kind == "lab")
    assert lo <= total <= hi, f"{when}: {total:,.0f} H100e outside [{lo:,.0f}, {hi:,.0f}]"


def test_china_share_of_demand(model) -> None:
    """calibration.md s7/s9: China ~12-15 % of AI compute (Pilz et al. 2025; AI-2027)."""
    for year in (2024, 2025, 2027):
        when = dt.date(year, 12, 31)
        labs = {n.id: n.target_h100e.at(when) for n in model.nodes if n.kind == "lab"}
        assert 0.12 <= labs["lab_cn"] / sum(labs.values()) <= 0.16


def test_demand_surges_in_2023_and_targets_start_at_the_fleet(model) -> None:
    start = dt.date(2022, 1, 1)
    for n in model.nodes:
        if n.kind == "lab":
            fleet = sum(u * model.products[s].h100e for s, u in n.fleet.items())
            assert n.target_h100e.at(start) == pytest.approx(fleet, rel=0.01)
            assert n.power_mw.at(start) >= sum(u * model.products[s].power_kw for s, u in n.fleet.items()) / 1000
    total = lambda d: sum(n.target_h100e.at(d) for n in model.nodes if n.kind == "lab")  # noqa: E731
    assert total(dt.date(2023, 12, 31)) / total(dt.date(2022, 12, 31)) > 3


def test_shares_into_each_lab_are_positive_while_it_has_skus(model) -> None:
    for lab in (n.id for n in model.nodes if n.kind == "lab"):
        for year in range(2022, 2036):
            when = dt.date(year, 7, 1)
            live = [e for e in model.edges if e.target == lab and model.products[e.product].kind == "accelerator"
                    and (model.products[e.product].available or when) <= when
                    and (model.products[e.product].discontinued is None or when < model.products[e.product].discontinued)]
            assert sum(e.share.at(when) for e in live) > 0, (lab, year)
