"""The report's chart: acceptance over time, one line per rule, drawn with matplotlib's Agg backend (no display).

matplotlib is the `report` extra (`pip install 'ln-cds[report]'`); without it `ln-cds report` prints the figures
and says how to get the chart.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

MAX_TICKS = 12


def write_chart(series: dict[str, list[tuple[date, float]]], path: Path, title: str) -> Path:
    """Writes the acceptance-over-time chart to `path` (SVG or PNG by its suffix); returns the path."""
    import matplotlib

    matplotlib.use("Agg")  # before pyplot: files only, never a window
    from matplotlib import pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 4))
    try:
        for rule, points in sorted(series.items()):
            days = [d.toordinal() for d, _ in points]
            axes.plot(days, [share * 100 for _, share in points], marker="o", label=rule)
        axes.set_ylim(0, 100)
        axes.set_ylabel("cards accepted (%)")
        axes.set_xlabel("day issued (UTC)")
        axes.set_title(title)
        if series:
            axes.legend(fontsize="small")
        else:
            axes.text(0.5, 0.5, "no cards issued in this window", ha="center", transform=axes.transAxes)
        ticks = sorted({d for points in series.values() for d, _ in points})
        step = max(1, len(ticks) // MAX_TICKS)
        axes.set_xticks([d.toordinal() for d in ticks[::step]], labels=[d.isoformat() for d in ticks[::step]])
        figure.autofmt_xdate()
        figure.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, metadata={"Date": None} if path.suffix == ".svg" else None)
    finally:
        plt.close(figure)
    return path
