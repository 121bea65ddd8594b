"""The curator's dashboard on the admin index: three charts, drawn as SVG here.

Ratings per day over the last 90 days, the score distribution of the whole
catalogue, and the films most rated in the last 7 days. The charts are SVG
markup made on the server: no script, no chart library, nothing fetched from
another host, and only presentation attributes (no ``style``), so that a
strict Content-Security-Policy lets them through. A chart library would have
meant shipping (and allowing) JavaScript for three bar charts.

The figures come from three aggregate queries (the distribution from the
counts each movie stores, not from the ratings table) and are cached for
``CACHE_SECONDS``: the page says how old they may be.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.core.cache import cache
from django.db.models import Count, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from movies.models import SCORES, Movie, distribution_field, score_key
from ratings.models import Rating

CACHE_KEY = "admin-dashboard:v1"
CACHE_SECONDS = 300
DAYS = 90
WEEK = 7
TOP_FILMS = 10

# Drawing: the admin's own colours (its --primary and --secondary blues).
BAR = "#417690"
BAR_HIGHLIGHT = "#79aec8"
INK = "#333333"
MUTED = "#666666"
GRID = "#dddddd"
FONT = "font-family='system-ui, sans-serif' font-size='11'"


@dataclass(frozen=True)
class Dashboard:
    """The three charts, as SVG markup, and when their figures were read."""

    ratings_per_day: SafeString
    score_distribution: SafeString
    most_rated_this_week: SafeString
    computed_at: datetime
    cache_minutes: int = CACHE_SECONDS // 60


def charts() -> Dashboard:
    """Return the dashboard, computed at most every ``CACHE_SECONDS``."""
    cached = cache.get(CACHE_KEY)
    if isinstance(cached, Dashboard):
        return cached
    now = timezone.now()
    dashboard = Dashboard(
        ratings_per_day=_per_day_chart(ratings_per_day(now=now)),
        score_distribution=_distribution_chart(score_distribution()),
        most_rated_this_week=_top_films_chart(most_rated(now=now)),
        computed_at=now,
    )
    cache.set(CACHE_KEY, dashboard, CACHE_SECONDS)
    return dashboard


# --- figures ------------------------------------------------------------------


def ratings_per_day(*, now: datetime) -> list[tuple[date, int]]:
    """Return (day, ratings created that UTC day) for each of the last ``DAYS``."""
    today = now.astimezone(UTC).date()
    first = today - timedelta(days=DAYS - 1)
    start = datetime.combine(first, datetime.min.time(), tzinfo=UTC)
    counts = dict(
        Rating.objects.filter(created_at__gte=start)
        .annotate(day=TruncDate("created_at", tzinfo=UTC))
        .values("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    days = (first + timedelta(days=offset) for offset in range(DAYS))
    return [(day, int(counts.get(day, 0))) for day in days]


def score_distribution() -> list[tuple[str, int]]:
    """Return (score, ratings of it) over the catalogue, from the stored counts."""
    fields = {score_key(score): distribution_field(score) for score in SCORES}
    totals = Movie.objects.aggregate(**{field: Sum(field) for field in fields.values()})
    return [(key, int(totals[field] or 0)) for key, field in fields.items()]


def most_rated(*, now: datetime) -> list[tuple[str, int]]:
    """Return (title (year), ratings) of the films most rated in the last week."""
    rows = (
        Rating.objects.filter(created_at__gte=now - timedelta(days=WEEK))
        .values("movie_id", "movie__title", "movie__year")
        .annotate(n=Count("id"))
        .order_by("-n", "movie__title", "movie_id")[:TOP_FILMS]
    )
    return [
        (
            f"{row['movie__title']} ({row['movie__year']})"
            if row["movie__year"]
            else row["movie__title"],
            int(row["n"]),
        )
        for row in rows
    ]


# --- drawing ------------------------------------------------------------------


def _svg(title: str, width: int, height: int, body: SafeString) -> SafeString:
    return format_html(
        "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {} {}' width='{}' "
        "height='{}' role='img' aria-label='{}' class='dashboard-chart'>"
        "<title>{}</title>{}</svg>",
        width,
        height,
        width,
        height,
        title,
        title,
        body,
    )


def _scale(values: Sequence[int]) -> int:
    """Return a round maximum of the axis, at least 1."""
    top = max(values, default=0)
    if top <= 5:
        return max(top, 1)
    step = 10 ** (len(str(top)) - 1)
    return -(-top // step) * step


def _per_day_chart(days: list[tuple[date, int]]) -> SafeString:
    width, height, left, bottom, top_margin = 720, 200, 40, 24, 12
    plot_w, plot_h = width - left - 8, height - bottom - top_margin
    peak = _scale([n for _, n in days])
    bar_w = plot_w / len(days)
    bars = format_html_join(
        "",
        "<rect x='{}' y='{}' width='{}' height='{}' fill='{}'>"
        "<title>{}: {}</title></rect>",
        (
            (
                _n(left + index * bar_w + 0.5),
                _n(top_margin + plot_h - plot_h * n / peak),
                _n(max(bar_w - 1, 0.5)),
                _n(plot_h * n / peak),
                BAR,
                day.isoformat(),
                _ratings(n),
            )
            for index, (day, n) in enumerate(days)
        ),
    )
    ticks = format_html_join(
        "",
        "<text x='{}' y='{}' text-anchor='{}' fill='{}' {}>{}</text>",
        (
            (
                _n(left + index * bar_w + bar_w / 2),
                height - 6,
                "end" if index == len(days) - 1 else "middle",
                MUTED,
                mark_safe(FONT),  # noqa: S308 (a constant)
                day.strftime("%d %b"),
            )
            for index, (day, _) in enumerate(days)
            if index % 15 == 0 or index == len(days) - 1
        ),
    )
    total = sum(n for _, n in days)
    body = format_html(
        "{}{}{}{}",
        _axis(left, top_margin, plot_w, plot_h, peak),
        bars,
        ticks,
        format_html(
            "<text x='{}' y='{}' text-anchor='end' fill='{}' {}>{} in {} days</text>",
            width - 8,
            top_margin,
            INK,
            mark_safe(FONT),  # noqa: S308 (a constant)
            _ratings(total),
            len(days),
        ),
    )
    return _svg(f"Ratings per day, last {DAYS} days", width, height, body)


def _distribution_chart(scores: list[tuple[str, int]]) -> SafeString:
    width, height, left, bottom, top_margin = 360, 200, 40, 24, 12
    plot_w, plot_h = width - left - 8, height - bottom - top_margin
    peak = _scale([n for _, n in scores])
    slot = plot_w / len(scores)
    bars = format_html_join(
        "",
        "<rect x='{}' y='{}' width='{}' height='{}' fill='{}'>"
        "<title>{} stars: {}</title></rect>"
        "<text x='{}' y='{}' text-anchor='middle' fill='{}' {}>{}</text>",
        (
            (
                _n(left + index * slot + slot * 0.15),
                _n(top_margin + plot_h - plot_h * n / peak),
                _n(slot * 0.7),
                _n(plot_h * n / peak),
                BAR_HIGHLIGHT if float(score) >= 4 else BAR,
                score,
                _ratings(n),
                _n(left + index * slot + slot / 2),
                height - 6,
                MUTED,
                mark_safe(FONT),  # noqa: S308 (a constant)
                score,
            )
            for index, (score, n) in enumerate(scores)
        ),
    )
    body = format_html("{}{}", _axis(left, top_margin, plot_w, plot_h, peak), bars)
    return _svg("Score distribution of the whole catalogue", width, height, body)


def _top_films_chart(films: list[tuple[str, int]]) -> SafeString:
    row_h, label_w, width = 22, 230, 520
    height = max(len(films), 1) * row_h + 8
    if not films:
        body = format_html(
            "<text x='8' y='20' fill='{}' {}>No ratings in the last {} days.</text>",
            MUTED,
            mark_safe(FONT),  # noqa: S308 (a constant)
            WEEK,
        )
        return _svg(f"Most rated films, last {WEEK} days", width, 30, body)
    peak = max(n for _, n in films)
    plot_w = width - label_w - 48
    rows = format_html_join(
        "",
        "<text x='{}' y='{}' text-anchor='end' fill='{}' {}>{}</text>"
        "<rect x='{}' y='{}' width='{}' height='{}' fill='{}'>"
        "<title>{}: {}</title></rect>"
        "<text x='{}' y='{}' fill='{}' {}>{}</text>",
        (
            (
                label_w - 6,
                index * row_h + 19,
                INK,
                mark_safe(FONT),  # noqa: S308 (a constant)
                _shorten(title, 36),
                label_w,
                index * row_h + 6,
                _n(max(plot_w * n / peak, 1)),
                row_h - 6,
                BAR,
                title,
                _ratings(n),
                _n(label_w + max(plot_w * n / peak, 1) + 4),
                index * row_h + 19,
                MUTED,
                mark_safe(FONT),  # noqa: S308 (a constant)
                n,
            )
            for index, (title, n) in enumerate(films)
        ),
    )
    return _svg(f"Most rated films, last {WEEK} days", width, height, rows)


def _axis(left: int, top: int, plot_w: int, plot_h: int, peak: int) -> SafeString:
    """Return the baseline, a mid and a top grid line, and their labels."""
    return format_html_join(
        "",
        "<line x1='{}' y1='{}' x2='{}' y2='{}' stroke='{}'/>"
        "<text x='{}' y='{}' text-anchor='end' fill='{}' {}>{}</text>",
        (
            (
                left,
                _n(top + plot_h - plot_h * fraction),
                left + plot_w,
                _n(top + plot_h - plot_h * fraction),
                GRID if fraction else MUTED,
                left - 4,
                _n(top + plot_h - plot_h * fraction + 4),
                MUTED,
                mark_safe(FONT),  # noqa: S308 (a constant)
                f"{peak * fraction:g}",
            )
            for fraction in (0, 0.5, 1)
        ),
    )


def _n(value: float) -> str:
    """Return a coordinate with one decimal."""
    return f"{value:.1f}"


def _ratings(n: int) -> str:
    return f"{n} rating" if n == 1 else f"{n} ratings"


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
