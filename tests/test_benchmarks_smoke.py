"""Smoke test of `python -m benchmarks`: the benchmark code still runs, at tiny sizes.

Not a speed test (speed targets are judged by the benchmarks themselves, never by timed
assertions): it checks that every section runs against a real replica, that the figures it
prints and writes are the ones of what it crawled, and that the generic extractors
(requirements-bench.txt, which the tests do not install) are skipped cleanly when missing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from benchmarks.__main__ import main
from benchmarks.accuracy import authors_correct, date_correct, title_correct, token_score
from benchmarks.process import run_measured, scrapy_command
from benchmarks.sizes import QUICK

ROOT = Path(__file__).resolve().parents[1]
SECTION_KEYS = ["crawl_cost", "extraction", "incremental", "publishing", "memory", "serving"]
SECTION_LABELS = [
    "1 crawl cost",
    "2 extraction",
    "3 incremental",
    "4 publishing",
    "5 memory",
    "6 serving",
]


def run_benchmarks(
    tmp_path: Path, *args: str, hide: tuple[str, ...] = ()
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """Run `python -m benchmarks --quick --json ...`, with the named packages unimportable."""
    env = dict(os.environ)
    if hide:
        # A package that fails to import, first on the path: as if it were not installed.
        stubs = tmp_path / "hidden"
        for name in hide:
            (stubs / name).mkdir(parents=True)
            (stubs / name / "__init__.py").write_text(
                f"raise ImportError('{name} hidden by the smoke test')\n"
            )
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(stubs), env.get("PYTHONPATH")]))
    out = tmp_path / "bench.json"
    process = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--json", str(out), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert process.returncode == 0, process.stderr[-3000:]
    return process, json.loads(out.read_text())


def test_quick_run_measures_every_section_without_the_generic_extractors(
    tmp_path: Path,
) -> None:
    workdir = tmp_path / "work"
    process, report = run_benchmarks(
        tmp_path, "--workdir", str(workdir), hide=("trafilatura", "newspaper")
    )

    table = process.stdout
    assert "| section" in table and "| figure" in table
    for label in SECTION_LABELS:
        assert f"| {label} " in table, f"no row for {label}"
    assert "trafilatura: not installed" in table
    assert "newspaper4k: not installed" in table
    assert list(report["sections"]) == SECTION_KEYS
    assert report["command"].startswith("python -m benchmarks --quick --json")
    assert report["machine"]["cpus"] >= 1 and report["machine"]["load_average_end"]
    # Tiny sizes judge no target.
    statuses = {row["status"] for s in report["sections"].values() for row in s["rows"]}
    assert statuses <= {"", "not judged"}

    crawl = report["sections"]["crawl_cost"]["figures"]
    # The crawl reached every article of the replica.
    assert crawl["newsmon"]["articles_extracted"] == QUICK.crawl_articles
    # The bare spider fetched exactly the pages newsmon fetched.
    assert crawl["bare_scrapy"]["pages"] == crawl["newsmon"]["pages"] > QUICK.crawl_articles
    assert crawl["newsmon"]["cpu_seconds"] > 0 and crawl["bare_scrapy"]["cpu_seconds"] > 0
    # Each side ran QUICK.crawl_repeats times, alternating; the best run of each is compared.
    for side in ("newsmon", "bare_scrapy"):
        runs = crawl["runs"][side]
        assert len(runs) == QUICK.crawl_repeats > 1
        best = min(run["cpu_ms_per_article"] for run in runs)
        assert crawl[side]["cpu_ms_per_article"] == best
    assert (workdir / "bare-2" / "bare.log").is_file()
    rates = crawl["pages_per_second"]
    assert rates["newsmon"] == max(run["pages_per_second"] for run in crawl["runs"]["newsmon"])
    # The baseline ran bare: Scrapy's own components only, none of newsmon's.
    bare_log = (workdir / "bare" / "bare.log").read_text()
    assert "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware" in bare_log
    assert "newsmon" not in bare_log

    extraction = report["sections"]["extraction"]["figures"]
    assert set(extraction["missing"]) == {"trafilatura", "newspaper4k"}
    assert "trafilatura" not in extraction and "newspaper4k" not in extraction
    ours = extraction["newsmon"]
    assert extraction["pages"] == QUICK.extraction_pages and ours["error_count"] == 0
    assert 0 <= ours["body_f1"] <= 1 and ours["cpu_ms_per_page"] > 0

    incremental = report["sections"]["incremental"]["figures"]
    assert incremental["nothing_new"]["articles_stored_new"] == 0
    assert incremental["after_new"]["articles_stored_new"] == QUICK.new_articles
    assert incremental["nothing_new"]["requests"] < incremental["full"]["requests"]
    budget = incremental["nothing_new"]["budget"]
    assert budget["listings"] == crawl["tags"] and budget["robots"] == 1

    publishing = report["sections"]["publishing"]["figures"]
    assert list(publishing["sizes"]) == [str(size) for size in QUICK.publish_sizes]
    # Five feeds, each as RSS, Atom and JSON Feed.
    assert all(size["files"] == 15 for size in publishing["sizes"].values())

    memory = report["sections"]["memory"]["figures"]
    (larger,) = QUICK.memory_articles
    assert memory[str(larger)]["articles_extracted"] == larger
    assert memory[str(QUICK.crawl_articles)]["max_rss_bytes"] > 0
    # Each crawl's own peak, also the bare spider's: every crawl reports it at exit.
    assert crawl["bare_scrapy"]["max_rss_bytes"] > 0

    serving = report["sections"]["serving"]["figures"]
    crowd = serving["slow_clients"]
    assert crowd["slow_clients"] == QUICK.serve_slow_clients and crowd["normal_client_answered"]
    assert crowd["peak_threads"] >= crowd["threads_at_start"] > 0
    # Every parallel client got a valid gzip of the archive, read from the server's /proc.
    assert serving["gzip_parallel"]["valid_gzip_bodies"] == serving["gzip_parallel"]["clients"]
    assert serving["gzip_parallel"]["peak_rss_bytes"] > serving["archive_bytes"] > 0


def test_generic_extractors_are_timed_and_scored_when_installed(tmp_path: Path) -> None:
    pytest.importorskip("trafilatura")
    pytest.importorskip("newspaper")

    process, report = run_benchmarks(tmp_path, "--sections", "extraction")

    assert list(report["sections"]) == ["extraction"]
    figures = report["sections"]["extraction"]["figures"]
    assert figures["missing"] == {}
    for name in ("newsmon", "trafilatura", "newspaper4k"):
        tool = figures[name]
        assert tool["error_count"] == 0, tool["errors"]
        assert tool["cpu_ms_per_page"] > 0
        assert 0 <= tool["body_precision"] <= 1 and 0 <= tool["body_recall"] <= 1
    assert "| 2 extraction | CPU ms per page" in process.stdout
    assert f"trafilatura {figures['trafilatura']['cpu_ms_per_page']:.2f}" in process.stdout


def test_unknown_section_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--sections", "crawl,speed"]) == 2
    assert "unknown section(s) ['speed']" in capsys.readouterr().err
    assert main(["--quick", "--long"]) == 2
    assert "exclude each other" in capsys.readouterr().err


def test_a_crawl_reports_its_own_peak_not_the_benchmark_process_peak(tmp_path: Path) -> None:
    # The benchmark process grows (trafilatura, newspaper4k); its peak must not become the
    # peak of a crawl it starts, as the kernel's ru_maxrss makes it after vfork+exec.
    ballast = b"x" * (400 * 1024 * 1024)  # written, so resident
    measured = run_measured(
        scrapy_command("version"), log_path=tmp_path / "version.log", timeout=120
    )
    del ballast
    assert measured.returncode == 0
    assert "Scrapy" in (tmp_path / "version.log").read_text()
    # `scrapy version` alone stays far below the 400 MiB the parent holds.
    assert 10 * 1024 * 1024 < measured.max_rss_bytes < 200 * 1024 * 1024


# --- the scoring the extraction figures rest on ------------------------------------------------


def test_token_scores_count_every_missing_and_extra_word() -> None:
    exact = token_score("Kyiv said\n\nno more.", ["Kyiv said", "no more."])
    assert (exact.precision, exact.recall, exact.f1) == (1.0, 1.0, 1.0)
    # "Edit post" is chrome: two extra tokens; "more." is missing.
    noisy = token_score("Edit post Kyiv said no", ["Kyiv said", "no more."])
    assert noisy.precision == pytest.approx(3 / 5)
    assert noisy.recall == pytest.approx(3 / 4)
    assert noisy.f1 == pytest.approx(2 * (3 / 5) * (3 / 4) / (3 / 5 + 3 / 4))
    assert token_score("", ["Kyiv"]).f1 == 0.0
    # Repeated words count as often as they occur.
    assert token_score("war war war", ["war"]).precision == pytest.approx(1 / 3)


def test_fields_are_compared_at_the_precision_a_tool_reports() -> None:
    truth = "2026-11-26T22:30:00+00:00"  # 00:30 on Nov 27 in Kyiv
    assert date_correct(datetime(2026, 11, 26, 22, 30, tzinfo=UTC), truth)
    assert not date_correct(datetime(2026, 11, 26, 22, 31, tzinfo=UTC), truth)
    assert date_correct(datetime(2026, 11, 27, 0, 30), truth)  # naive, Kyiv wall time
    assert date_correct(date(2026, 11, 26), truth) and date_correct(date(2026, 11, 27), truth)
    assert not date_correct(date(2026, 11, 25), truth)
    assert not date_correct(None, truth)
    assert title_correct("Kyiv &amp; Lviv\u00a0 talks ", "Kyiv & Lviv talks")
    assert not title_correct(None, "Kyiv")
    assert authors_correct(["b smith", "A Jones"], ["A Jones", "B Smith"])
    assert not authors_correct(["Authors A Jones"], ["A Jones"])
    assert not authors_correct([], ["A Jones"])
