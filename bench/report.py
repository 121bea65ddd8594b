"""Markdown tables of the benchmark's figures (they paste into docs/SCALING.md)."""

from __future__ import annotations

import sys

from load import LoadResult, Probe

Figures = tuple[int, dict[str, LoadResult], dict[str, Probe]]


def out(text: str = "") -> None:
    """Write a line of the report to stdout at once."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def size_label(count: int) -> str:
    """Return ``100.8k`` or ``1.0M`` for a number of ratings."""
    if count >= 1_000_000:
        return f"{count / 1_000_000:.2f}M"
    if count >= 1_000:
        return f"{count / 1_000:.1f}k"
    return str(count)


def _render(headers: list[str], rows: list[list[str]]) -> str:
    widths = [
        max(len(headers[i]), *(len(row[i]) for row in rows))
        for i in range(len(headers))
    ]

    def line(cells: list[str]) -> str:
        padded = [
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join(
        "-" * (w + 1) + ":" if i else ":" + "-" * (w + 1) for i, w in enumerate(widths)
    )
    rule += "|"
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


def _errors(result: LoadResult) -> str:
    if not result.errors:
        return "0"
    failed = sorted(
        f"{status}x{count}"
        for status, count in result.statuses.items()
        if int(status) >= 400
    )
    return f"{result.errors} ({', '.join(failed)})" if failed else str(result.errors)


def _number(value: float | None, spec: str = "g") -> str:
    return "-" if value is None else format(value, spec)


def _queries(probes: dict[str, Probe], key: str) -> str:
    probe = probes.get(key)
    return "-" if probe is None else _number(probe.queries)


def _cold_queries(probes: dict[str, Probe], key: str) -> str:
    probe = probes.get(key)
    return "-" if probe is None else _number(probe.cold_queries)


def _cold(probes: dict[str, Probe], key: str) -> float | None:
    probe = probes.get(key)
    return None if probe is None else probe.cold_ms


def _django_ms(probes: dict[str, Probe], key: str) -> str:
    probe = probes.get(key)
    if probe is None:
        return "-"
    return f"{probe.ms:.1f} / {_number(probe.cold_ms, '.1f')}"


def fmt_ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def fmt_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _ceiling_rps(result: LoadResult) -> str:
    return "-" if result.ceiling is None else f"{result.ceiling.rps:.0f}"


def fmt_share(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _change(before: float, after: float) -> str:
    if not before:
        return "-"
    return f"{(after - before) / before * 100:+.0f}%"


def table(
    keys: list[str],
    results: dict[str, LoadResult],
    probes: dict[str, Probe],
    *,
    labels: dict[str, str],
) -> str:
    rows = [
        [
            labels.get(key, key),
            f"{results[key].rps:.0f}",
            _ceiling_rps(results[key]),
            fmt_ratio(results[key].ratio),
            f"{results[key].p50_ms:.1f}",
            f"{results[key].p99_ms:.1f}",
            _errors(results[key]),
            _queries(probes, key),
            _cold_queries(probes, key),
            _django_ms(probes, key),
            fmt_ms(results[key].app_cpu_ms),
            fmt_ms(results[key].db_cpu_ms),
            fmt_share(results[key].other_cpu),
        ]
        for key in keys
        if key in results
    ]
    headers = ["endpoint", "req/s", "ceiling req/s", "ratio"]
    headers += ["p50 ms", "p99 ms", "errors", "queries/req"]
    headers += ["cold queries/req", "Django ms warm / cold"]
    cpu = ["app CPU ms/req", "db CPU ms/req", "other CPU"]
    return _render([*headers, *cpu], rows)


def comparison_table(
    keys: list[str], labels: dict[str, str], before: Figures, after: Figures
) -> str:
    small, large = size_label(before[0]), size_label(after[0])
    rows = []
    for key in keys:
        if key not in before[1] or key not in after[1]:
            continue
        old, new = before[1][key], after[1][key]
        rows.append(
            [
                labels.get(key, key),
                f"{old.rps:.0f}",
                f"{new.rps:.0f}",
                _change(old.rps, new.rps),
                f"{fmt_ratio(old.ratio)} / {fmt_ratio(new.ratio)}",
                f"{old.p50_ms:.1f}",
                f"{new.p50_ms:.1f}",
                _change(old.p50_ms, new.p50_ms),
                f"{old.p99_ms:.1f}",
                f"{new.p99_ms:.1f}",
                _change(old.p99_ms, new.p99_ms),
                f"{_queries(before[2], key)} / {_queries(after[2], key)}",
                f"{_cold_queries(before[2], key)} / {_cold_queries(after[2], key)}",
                f"{_number(_cold(before[2], key), '.1f')} / "
                f"{_number(_cold(after[2], key), '.1f')}",
                f"{fmt_ms(old.app_cpu_ms)} / {fmt_ms(new.app_cpu_ms)}",
                f"{fmt_ms(old.db_cpu_ms)} / {fmt_ms(new.db_cpu_ms)}",
                f"{fmt_share(old.other_cpu)} / {fmt_share(new.other_cpu)}",
                f"{old.errors} / {new.errors}",
            ]
        )
    return _render(
        [
            "endpoint",
            f"req/s {small}",
            f"req/s {large}",
            "change",
            "ratio to ceiling",
            f"p50 {small}",
            f"p50 {large}",
            "change",
            f"p99 {small}",
            f"p99 {large}",
            "change",
            "queries/req",
            "cold queries/req",
            "cold Django ms",
            "app CPU ms/req",
            "db CPU ms/req",
            "other CPU",
            "errors",
        ],
        rows,
    )


def layout_table(
    keys: list[str],
    labels: dict[str, str],
    rows: list[tuple[str, dict[str, LoadResult]]],
) -> str:
    body = []
    for layout, results in rows:
        cells = [layout]
        for key in keys:
            result = results[key]
            ratio = "" if result.ratio is None else f" / {fmt_ratio(result.ratio)}"
            cells.append(f"{result.rps:.0f} / {result.p99_ms:.0f}{ratio}")
        cells.append(str(sum(results[key].errors for key in keys)))
        others = [r.other_cpu for r in results.values() if r.other_cpu is not None]
        cells.append(fmt_share(max(others)) if others else "-")
        body.append(cells)
    best = max(rows, key=lambda row: sum(row[1][key].rps for key in keys))[0]
    headers = [
        "layout",
        *(labels.get(key, key) for key in keys),
        "errors",
        "other CPU (max)",
    ]
    return _render(headers, body) + f"\n\nhighest total req/s: {best}"
