"""Live plots and the network picture, drawn server-side with matplotlib.

The page shows PNG images, so nothing depends on a JavaScript charting
library from a CDN (classrooms are often offline). Each figure is created
once per run and only its data change each day, which keeps drawing a day
cheap enough for several days per second.
"""

from __future__ import annotations

import io
import math
import threading

import matplotlib

matplotlib.use("Agg")
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from PIL import Image

from dashboard import network as net
from sim.model import GovSimModel

DPI = 80
PALETTE_COLOURS = 96

# (title, y label, [(outcome key, legend label, colour)], y is a share?)
PANELS: tuple[tuple[str, tuple[tuple[str, str, str], ...], bool], ...] = (
    ("Agencies with an account", (("accounts", "open accounts", "#0072B2"), ("ghosts", "ghost accounts", "#E69F00")), True),
    ("Posts and replies, last 30 days", (("posts_substantive", "substantive", "#009E73"),
                                         ("posts_filler", "filler", "#D55E00"),
                                         ("replies", "replies", "#0072B2")), False),
    ("Citizens online who are active", (("active_share", "active", "#0a4f8c"),), True),
    ("Needs met, last 30 days", (("needs_met_connected", "connected", "#56B4E9"),
                                 ("needs_met_excluded", "excluded", "#7f7f7f")), True),
)  # fmt: skip


def series(model: GovSimModel) -> dict[str, np.ndarray]:
    """The plotted series, read from the model's recorder rows (shares as %)."""
    rows = model.recorder.rows
    day = np.array([r["day"] for r in rows], dtype=np.float64)

    def col(key: str) -> np.ndarray:
        return np.array([r[key] for r in rows], dtype=np.float64)

    out = {"day": day}
    if not rows:
        for _, lines, _ in PANELS:
            for key, _, _ in lines:
                out[key] = np.zeros(0)
        return out
    account = col("account_share")
    out["accounts"] = 100 * account
    out["ghosts"] = 100 * account * np.nan_to_num(col("ghost_share"))
    for key in ("posts_substantive", "posts_filler", "replies"):
        out[key] = col(key)
    for key in ("active_share", "needs_met_connected", "needs_met_excluded"):
        out[key] = 100 * col(key)
    return out


class LiveFigure:
    """A figure whose static parts (axes, ticks, labels, legends) are drawn once.

    Each frame restores that background and draws only the artists that change
    (blitting), then encodes a PNG: ~10 ms instead of ~150 ms for a full draw.
    """

    def __init__(self, fig: Figure) -> None:
        self.fig = fig
        self.canvas = FigureCanvasAgg(fig)
        self.dynamic: list = []
        self._background = None
        self.lock = threading.RLock()

    def animate(self, *artists) -> None:
        for artist in artists:
            artist.set_animated(True)
            self.dynamic.append(artist)

    def invalidate(self) -> None:
        """Redraw the static parts on the next frame (after a change of axis limits)."""
        self._background = None

    def png(self) -> bytes:
        """Draw the current state (callers hold `self.lock` while they also update the artists)."""
        with self.lock:
            if self._background is None:
                self.canvas.draw()
                self._background = self.canvas.copy_from_bbox(self.fig.bbox)
            else:
                self.canvas.restore_region(self._background)
            for artist in self.dynamic:
                self.fig.draw_artist(artist)
            w, h = self.canvas.get_width_height()
            rgba = Image.frombuffer("RGBA", (w, h), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
            rgb = rgba.convert("RGB")  # a copy: the canvas may be redrawn once the lock is released
        # a palette PNG: charts have few colours; 4x smaller and faster to encode and decode than RGBA
        image = rgb.quantize(PALETTE_COLOURS, method=Image.Quantize.FASTOCTREE)
        buf = io.BytesIO()
        image.save(buf, format="png", compress_level=1)
        return buf.getvalue()


def _nice_ceiling(x: float) -> float:
    """10, 20, 50, 100, 200, 500...: few rescalings (each one redraws the axes)."""
    if x <= 8:
        return 10.0
    decade = 10 ** math.floor(math.log10(x))
    for m in (1, 2, 5, 10):
        if x * 1.15 <= m * decade:
            return float(m * decade)
    return 20.0 * decade


class PlotsFigure(LiveFigure):
    """The four live panels of one run; `render` updates the lines and returns a PNG."""

    def __init__(self, days: int, title: str, width: float = 6.6, height: float = 5.0) -> None:
        super().__init__(Figure(figsize=(width, height), dpi=DPI))
        fig = self.fig
        fig.subplots_adjust(left=0.09, right=0.98, top=0.87, bottom=0.13, hspace=0.72, wspace=0.28)
        self.axes = list(fig.subplots(2, 2, sharex=True).ravel())
        self.lines: dict[str, Line2D] = {}
        for ax, (panel, keys, share) in zip(self.axes, PANELS, strict=True):
            for key, label, colour in keys:
                (self.lines[key],) = ax.plot([], [], lw=2.2, color=colour, label=label)
            ax.set_title(panel, fontsize=13)
            ax.set_xlim(0, days)
            ax.set_ylim(0, 100 if share else 10)
            if share:
                ax.yaxis.set_major_formatter("{x:.0f}%")
            ax.grid(alpha=0.3)
            ax.tick_params(labelsize=10.5, labelbottom=True)
            ax.legend(fontsize=10.5, loc="upper center", bbox_to_anchor=(0.5, -0.11), ncol=len(keys),
                      frameon=False, handlelength=1.0, columnspacing=0.6, handletextpad=0.4)  # fmt: skip
        fig.suptitle(title, fontsize=15, fontweight="bold")
        fig.text(0.5, 0.005, "x axis: day of the run", ha="center", va="bottom", fontsize=9, color="#555555")
        self.marker = [ax.axvline(0, color="#444444", lw=0.8, ls=":") for ax in self.axes]
        self.animate(*self.lines.values(), *self.marker)
        self._posts_top = 10.0

    def update(self, data: dict[str, np.ndarray], posts_max: float | None = None) -> None:
        day = data["day"]
        for key, line in self.lines.items():
            line.set_data(day, data[key])
        top = posts_max if posts_max is not None else posts_ceiling([data])
        if top != self._posts_top:
            self._posts_top = top
            self.axes[1].set_ylim(0, top)
            self.invalidate()
        now = day[-1] if len(day) else 0
        for m in self.marker:
            m.set_xdata([now, now])

    def render(self, data: dict[str, np.ndarray], posts_max: float | None = None) -> bytes:
        with self.lock:
            self.update(data, posts_max)
            return self.png()


def posts_ceiling(datas: list[dict[str, np.ndarray]]) -> float:
    """Shared y limit of the posts panel (the same scale for two runs side by side)."""
    top = 0.0
    for d in datas:
        for key in ("posts_substantive", "posts_filler", "replies"):
            if len(d[key]):
                top = max(top, float(np.nanmax(d[key])))
    return _nice_ceiling(top)


LEGEND = (
    ("o", net.EXCLUDED, "#ffffff", "offline citizen"),
    ("o", net.SILENT, "#ffffff", "online, silent"),
    ("o", net.ACTIVE, "#ffffff", "online, active"),
    ("o", "#ffffff", net.WAITING, "ring: waiting"),
    ("o", "#ffffff", net.SERVED, "ring: served"),
    ("D", net.LEADER, "#333333", "leader relaying"),
    ("s", net.NO_ACCOUNT, "#333333", "no account"),
    ("s", net.ACCOUNT, "#333333", "agency account"),
    ("s", net.GHOST, "#333333", "ghost account"),
)


class NetworkFigure(LiveFigure):
    """The network picture of one run; fixed layout, colours and ties updated each day."""

    def __init__(self, model: GovSimModel, title: str, width: float = 6.6, height: float = 5.0) -> None:
        super().__init__(Figure(figsize=(width, height), dpi=DPI))
        fig = self.fig
        self.layout = layout = net.build_layout(model)
        ax = fig.add_axes((0.01, 0.25, 0.98, 0.67))
        ax.set_axis_off()
        ax.set_xlim(-1.0, layout.width + 1.0)
        ax.set_ylim(min(-0.3, layout.citizen_xy[:, 1].min(initial=0) - 0.3), 5.0)
        self.ties = {
            "social": LineCollection([], colors="#bbbbbb", linewidths=0.8, linestyles=":", zorder=1),
            "watch": LineCollection([], colors=net.LEADER, linewidths=0.6, alpha=0.35, zorder=1),
            "leader": LineCollection([], colors=net.LEADER, linewidths=0.7, alpha=0.45, zorder=1),
            "follow": LineCollection([], colors="#0072B2", linewidths=0.6, alpha=0.25, zorder=1),
        }
        for coll in self.ties.values():
            ax.add_collection(coll)
        xy = layout.citizen_xy
        self.citizens = ax.scatter(xy[:, 0], xy[:, 1], s=130, linewidths=1.0, zorder=3)
        xy = layout.agency_xy
        self.agencies = ax.scatter(xy[:, 0], xy[:, 1], s=120, marker="s", edgecolors="#333333", zorder=3)
        xy = layout.leader_xy
        self.leaders = ax.scatter(xy[:, 0], xy[:, 1], marker="D", edgecolors="#333333", zorder=3)
        for text, y in (("province agencies", 4.6), ("city agencies", 3.9), ("opinion leaders", 3.0),
                        ("district agencies", 2.1), ("citizens (a sample)", 1.2)):  # fmt: skip
            ax.text(-0.9, y + 0.3, text, fontsize=10.5, color="#555555", va="bottom")
        handles = [
            Line2D([], [], ls="", marker=m, markersize=9, markerfacecolor=f, markeredgecolor=e,
                   markeredgewidth={net.WAITING: 2.6, net.SERVED: 1.4}.get(e, 1.0), label=label)
            for m, f, e, label in LEGEND
        ]  # fmt: skip
        fig.legend(
            handles=handles,
            loc="lower center",
            ncol=3,
            fontsize=10,
            frameon=False,
            columnspacing=0.8,
            handletextpad=0.2,
        )
        fig.suptitle(title, fontsize=15, fontweight="bold", y=0.99)
        self.animate(*self.ties.values(), self.citizens, self.agencies, self.leaders)

    def update(self, model: GovSimModel) -> net.Snapshot:
        snap = net.snapshot(model, self.layout)
        self.citizens.set_facecolors(snap.citizen_face)
        self.citizens.set_edgecolors(snap.citizen_edge)
        self.citizens.set_linewidths(snap.citizen_ring)
        self.agencies.set_facecolors(snap.agency_face)
        self.leaders.set_facecolors(snap.leader_face)
        self.leaders.set_sizes(snap.leader_size)
        for name in ("follow", "leader", "watch", "social"):
            self.ties[name].set_segments(getattr(snap, f"{name}_segments"))
        return snap

    def render(self, model: GovSimModel) -> tuple[bytes, net.Snapshot]:
        with self.lock:
            snap = self.update(model)
            return self.png(), snap
