"""The registries' bookkeeping of a user's plug-ins: what the store's fingerprint sees, what a worker installs,
and a module named by `--plugin` that fails while importing (the file cases: test_plugins.py)."""

from __future__ import annotations

import sys

import pytest
from _plugins import forget  # noqa: F401 - forget is a fixture
from _topo import MINIMAL, assert_clean_failure, cli

from supplychain.engine.ordering import BUILT_IN, ORDERING_POLICIES, register_ordering
from supplychain.errors import PluginError
from supplychain.plugins import _Inherited, install, plugins_fingerprint
from supplychain.scenario import resolve
from supplychain.topology import graph_to_model


@pytest.fixture()
def fingerprint(forget):
    """The fingerprint of a run naming `half_gap`, after registering `fn` under that name."""
    register_ordering("half_gap")(lambda r: 0.0)  # a name the scenario may name
    sc = resolve({"name": "p", "topology": str(MINIMAL), "labs": {"ordering": "half_gap"}, "end": "2022-03-31"})
    model = graph_to_model(sc.topology)

    def of(fn, **options) -> str | None:
        register_ordering("half_gap", **options)(fn)
        return plugins_fingerprint(model, sc.scenario)

    return of


def test_a_keyword_only_default_changed_changes_the_fingerprint(fingerprint):
    def decide(r, *, part=0.25):
        return part * (r.level - r.position)

    first = fingerprint(decide)
    decide.__kwdefaults__ = {"part": 1.0}
    assert fingerprint(decide) != first


def test_a_notebooks_policy_with_one_constant_changed_has_another_fingerprint(fingerprint):
    """Defined in a cell (no file to read): its compiled code counts, constants included."""
    cells = [{}, {}]
    exec(compile("def decide(r):\n    return 0.5 * (r.level - r.position)\n", "<cell 1>", "exec"), cells[0])
    exec(compile("def decide(r):\n    return 0.25 * (r.level - r.position)\n", "<cell 2>", "exec"), cells[1])
    assert fingerprint(cells[0]["decide"]) != fingerprint(cells[1]["decide"])


def test_a_decorated_factorys_policies_have_fingerprints_of_their_own(fingerprint):
    """`logged(make(0.25))` and `logged(make(1.0))`: one wrapper's code; the values differ one function below."""
    def make(part):
        def decide(r):
            return part * (r.level - r.position)
        return decide

    def logged(fn):
        def wrapper(r):
            return fn(r)
        return wrapper

    assert fingerprint(logged(make(0.25))) != fingerprint(logged(make(1.0)))


def test_asked_at_every_review_or_below_the_level_are_two_fingerprints(fingerprint):
    def decide(r):
        return 1.0

    assert fingerprint(decide) != fingerprint(decide, every_review=True)


def test_an_entry_a_worker_cannot_receive_is_refused_where_the_worker_has_only_the_built_in():
    """A Dask worker has the built-in `order_up_to`, not the user's one of that name it could not be sent:
    running the built-in in its place would give other tables without a word."""
    assert ORDERING_POLICIES["order_up_to"] is BUILT_IN["order_up_to"]
    with pytest.raises(PluginError, match="cannot be sent to this worker"):
        install((("ordering", "order_up_to", _Inherited("ordering", "order_up_to", "it holds a lock")),))
    assert ORDERING_POLICIES["order_up_to"] is BUILT_IN["order_up_to"]


def test_a_unit_installs_its_version_of_a_plugin_over_an_older_one(forget):
    """A worker that ran an earlier unit holds that unit's `half_gap`; the next unit's (edited) one replaces it."""
    register_ordering("half_gap")(lambda r: 1.0)
    new = ORDERING_POLICIES.pop("half_gap")
    register_ordering("half_gap")(lambda r: 2.0)
    install((("ordering", "half_gap", new),))
    assert ORDERING_POLICIES["half_gap"] is new


@pytest.mark.parametrize("text, line", [
    ("import no_such_dependency_here\n",
     "supplychain: --plugin: ModuleNotFoundError while importing it: No module named 'no_such_dependency_here' "
     "(got 'mod_needs_dep')"),
    ("import sys\nsys.exit(3)\n", "supplychain: --plugin: it called sys.exit(3) while being imported; a plug-in "
                                  "module should only define and register (got 'mod_needs_dep')"),
])
def test_a_plugin_module_named_that_fails_while_importing_is_one_line_and_exit_2(tmp_path, monkeypatch, text, line):
    """Found, then failed: its missing dependency is named as what is missing, not the plug-in itself."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mod_needs_dep.py").write_text(text)
    try:
        got = assert_clean_failure(cli("--plugin", "mod_needs_dep", "scenario", "validate", str(MINIMAL)))
    finally:
        sys.modules.pop("mod_needs_dep", None)
    assert got == line


def test_a_plugin_file_imports_a_module_beside_it_when_first_called(tmp_path, forget):
    """A lazy `import` inside a policy runs after `load_plugin` returned: the file's folder is still searched."""
    from supplychain.plugins import load_plugin

    (tmp_path / "lazy_part_here.py").write_text("PART = 0.75\n")
    (tmp_path / "lazy_mine.py").write_text("def part():\n    import lazy_part_here\n    return lazy_part_here.PART\n")
    try:
        assert load_plugin(str(tmp_path / "lazy_mine.py")).part() == 0.75
    finally:
        sys.modules.pop("lazy_part_here", None)
        while str(tmp_path) in sys.path:
            sys.path.remove(str(tmp_path))


def test_a_plugin_files_fingerprint_outlives_a_module_beside_it_removed(tmp_path, fingerprint):
    """A notebook that loaded a file, whose sibling was then moved away: the fingerprint falls back on the
    code, never a FileNotFoundError traceback from reading the files it was loaded from."""
    from supplychain.plugins import load_plugin

    (tmp_path / "gone_part_here.py").write_text("PART = 0.5\n")
    (tmp_path / "keeps.py").write_text("import gone_part_here\n\ndef decide(r):\n    return gone_part_here.PART\n")
    try:
        module = load_plugin(str(tmp_path / "keeps.py"))
        (tmp_path / "gone_part_here.py").unlink()
        assert fingerprint(module.decide) is not None
    finally:
        sys.modules.pop("gone_part_here", None)
        while str(tmp_path) in sys.path:
            sys.path.remove(str(tmp_path))


def test_a_plugin_path_to_a_file_not_python_is_one_line_and_exit_2(tmp_path, monkeypatch):
    """A path (it holds a `/`) to a file Python cannot import: no loader for it, said as such."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rules.txt").write_text("x = 1\n")
    got = assert_clean_failure(cli("--plugin", "./rules.txt", "scenario", "validate", str(MINIMAL)))
    assert got == "supplychain: --plugin: not a Python file (got './rules.txt')"


def test_a_package_imported_before_the_plugin_file_goes_by_reference_though_it_sits_beside_it(tmp_path, fingerprint):
    """A plug-in file in a checkout imports more of a package imported before it (`supplychain` itself): that
    package is installed where the workers run, so its policy goes by reference, not by value as the file's own."""
    from supplychain.plugins import _ByValue, load_plugin, plugins_used

    (tmp_path / "pkg_here").mkdir()
    (tmp_path / "pkg_here" / "__init__.py").write_text("")
    (tmp_path / "pkg_here" / "sub.py").write_text("def decide(r):\n    return 1.0\n")
    (tmp_path / "uses_pkg.py").write_text("import pkg_here.sub\n")
    sys.path.insert(0, str(tmp_path))
    try:
        import pkg_here  # noqa: F401 - imported before the plug-in, as `supplychain` is

        load_plugin(str(tmp_path / "uses_pkg.py"))
        assert fingerprint(sys.modules["pkg_here.sub"].decide) is not None
        sc = resolve({"name": "p", "topology": str(MINIMAL), "labs": {"ordering": "half_gap"}})
        (entry,) = [e for r, n, e in plugins_used(graph_to_model(sc.topology), sc.scenario) if n == "half_gap"]
        assert not isinstance(entry, _ByValue) and entry is ORDERING_POLICIES["half_gap"]
    finally:
        for name in ("pkg_here.sub", "pkg_here"):
            sys.modules.pop(name, None)
        while str(tmp_path) in sys.path:
            sys.path.remove(str(tmp_path))
