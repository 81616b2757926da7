"""Live plots and the network picture, drawn server-side with matplotlib.

The page shows PNG images, so nothing depends on a JavaScript charting
library from a CDN (classrooms are often offline). Each figure is created
once per run and only its data change each frame, which keeps a frame cheap
(blitting: the axes are redrawn only when a limit or a marker changes).

Figures are drawn at 72 dpi, so one point is one screen pixel when the page
shows an image at its natural size: the font sizes below are what a projector
at 1366x768 shows (the page never scales the images up).
"""

from __future__ import annotations

import io
import math
import threading
from dataclasses import dataclass

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

DPI = 72  # 1 pt = 1 px at natural size
FONT = 14  # tick labels, legends, axis labels, marker labels (px)
TITLE_FONT = 16
PALETTE_COLOURS = 96
PLOTS_SIZE = (1010, 500)  # px: the main area at 1366x768, beside the lesson column
NETWORK_SIZE = (500, 540)  # px: two side by side in the same area

# one colour per regime (Okabe-Ito blue and vermillion: readable for colour-blind students)
REGIME_COLOURS = ("#0072B2", "#D55E00")
MARKER_GREY = "#555555"

# (title, y label with unit, [(series key, legend label, line style)], y is a share in %?)
PANELS: tuple[tuple[str, str, tuple[tuple[str, str, str], ...], bool], ...] = (
    (
        "Agencies with an account",
        "% of agencies",
        (("accounts", "all accounts", "-"), ("ghosts", "ghost accounts", "--")),
        True,
    ),
    (
        "Posts and replies",
        "per 30 days",
        (("posts_substantive", "substantive", "-"), ("posts_filler", "filler", "--"), ("replies", "replies", ":")),
        False,
    ),
    (
        "Online citizens who are active",
        "% of online citizens",
        (("active_share", "active in last 30 days", "-"),),
        True,
    ),
    (
        "Needs met, last 30 days",
        "% of needs",
        (("needs_met_connected", "connected", "-"), ("needs_met_excluded", "excluded", "--")),
        True,
    ),
)
SERIES = tuple(key for _, _, lines, _ in PANELS for key, _, _ in lines)


def series(model: GovSimModel) -> dict[str, np.ndarray]:
    """The plotted series, read from the model's recorded outcomes (shares as %)."""
    columns = model.recorder.columns()
    out = {"day": columns["day"].astype(np.float64)}
    account = columns["account_share"]
    out["accounts"] = 100 * account
    out["ghosts"] = 100 * account * np.nan_to_num(columns["ghost_share"])
    for key in ("posts_substantive", "posts_filler", "replies"):
        out[key] = columns[key]
    for key in ("active_share", "needs_met_connected", "needs_met_excluded"):
        out[key] = 100 * columns[key]
    return out


class LiveFigure:
    """A figure whose static parts (axes, ticks, labels, legends, markers) are drawn once.

    Each frame restores that background and draws only the artists that change
    (blitting), then encodes a PNG: ~10 ms instead of ~150 ms for a full draw.
    """

    def __init__(self, size_px: tuple[int, int]) -> None:
        self.fig = Figure(figsize=(size_px[0] / DPI, size_px[1] / DPI), dpi=DPI)
        self.canvas = FigureCanvasAgg(self.fig)
        self.dynamic: list = []
        self._background = None
        self.lock = threading.RLock()

    def animate(self, *artists) -> None:
        for artist in artists:
            artist.set_animated(True)
            self.dynamic.append(artist)

    def invalidate(self) -> None:
        """Redraw the static parts on the next frame (after a change of axis limits or markers)."""
        self._background = None

    def _composite(self) -> Image.Image:
        if self._background is None:
            self.canvas.draw()
            self._background = self.canvas.copy_from_bbox(self.fig.bbox)
        else:
            self.canvas.restore_region(self._background)
        for artist in self.dynamic:
            self.fig.draw_artist(artist)
        w, h = self.canvas.get_width_height()
        rgba = Image.frombuffer("RGBA", (w, h), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        return rgba.convert("RGB")  # a copy: the canvas may be redrawn once the lock is released

    def png(self, palette: bool = True) -> bytes:
        """The current state as PNG (callers hold `self.lock` while they also update the artists).

        `palette`: 96 colours, 4x smaller and faster to encode than RGB (what the page shows);
        False gives the full-colour picture for the PNG export.
        """
        with self.lock:
            rgb = self._composite()
        image = rgb.quantize(PALETTE_COLOURS, method=Image.Quantize.FASTOCTREE) if palette else rgb
        buf = io.BytesIO()
        image.save(buf, format="png", compress_level=1 if palette else 6)
        return buf.getvalue()


def nice_ceiling(x: float) -> float:
    """10, 20, 50, 100, 200, 500...: few rescalings (each one redraws the axes)."""
    if x <= 8:
        return 10.0
    decade = 10 ** math.floor(math.log10(x))
    for m in (1, 2, 5, 10):
        if x * 1.15 <= m * decade:
            return float(m * decade)
    return 20.0 * decade


X_STEPS = (30, 60, 90, 120, 180, 270, 365, 450, 550, 730, 900, 1095)


def x_limit(day: float, days: int) -> float:
    """The x-axis grows with the run: the next step with room ahead of today (at most the run's length)."""
    ahead = day + max(8.0, 0.1 * day)
    for step in X_STEPS:
        if step >= ahead:
            return float(min(step, days))
    return float(min(days, math.ceil(ahead / 365) * 365))


@dataclass(frozen=True)
class Marker:
    """A day that matters, drawn as a vertical line with a short label (audits: a small triangle)."""

    day: float
    label: str
    colour: str = MARKER_GREY
    kind: str = "line"  # "line" or "audit"


class PlotsFigure(LiveFigure):
    """The four key panels; every run (regime) on the same axes, one colour each."""

    def __init__(self, regimes: list[str], days: int, size_px: tuple[int, int] = PLOTS_SIZE) -> None:
        super().__init__(size_px)
        fig = self.fig
        self.days = days
        self.regimes = regimes
        fig.subplots_adjust(left=0.085, right=0.985, top=0.835, bottom=0.095, hspace=0.6, wspace=0.2)
        self.axes = list(fig.subplots(2, 2).ravel())
        self.lines: dict[tuple[int, str], Line2D] = {}
        self._xmax = x_limit(0, days)
        for ax, (panel, ylabel, keys, share) in zip(self.axes, PANELS, strict=True):
            for r, _ in enumerate(regimes):
                for key, _, style in keys:
                    (self.lines[r, key],) = ax.plot([], [], lw=2.4, ls=style, color=REGIME_COLOURS[r % 2])
            ax.set_title(panel, fontsize=TITLE_FONT, fontweight="bold", loc="left", pad=24)
            ax.set_ylabel(ylabel, fontsize=FONT)
            ax.set_xlim(0, self._xmax)
            ax.set_ylim(0, 100 if share else 10)
            if share:
                ax.yaxis.set_major_formatter("{x:.0f}%")
            ax.grid(alpha=0.3)
            ax.tick_params(labelsize=FONT)
            handles = [Line2D([], [], color="#333333", lw=2.2, ls=style, label=label) for _, label, style in keys]
            ax.legend(
                handles=handles,
                fontsize=FONT,
                loc="lower left",
                bbox_to_anchor=(0.0, 1.0),
                ncol=len(keys),
                frameon=False,
                handlelength=1.6,
                columnspacing=0.8,
                handletextpad=0.4,
                borderpad=0.1,
                borderaxespad=0.1,
            )
        for ax in self.axes[2:]:
            ax.set_xlabel("day", fontsize=FONT, labelpad=1)
        regime_handles = [
            Line2D([], [], color=REGIME_COLOURS[r % 2], lw=4, label=f"regime: {name}") for r, name in enumerate(regimes)
        ]
        regime_handles.append(Line2D([], [], color=MARKER_GREY, lw=1.5, ls=(0, (4, 2)), label="event (labelled)"))
        regime_handles.append(Line2D([], [], color=MARKER_GREY, ls="", marker="v", markersize=9, label="audit"))
        fig.legend(
            handles=regime_handles,
            loc="upper left",
            bbox_to_anchor=(0.005, 1.0),
            ncol=len(regime_handles),
            fontsize=FONT + 1,
            frameon=False,
            handlelength=1.8,
            columnspacing=1.6,
        )
        self.today = [ax.axvline(0, color="#222222", lw=0.9, ls=":") for ax in self.axes]
        self.animate(*self.lines.values(), *self.today)
        self._posts_top = 10.0
        self._markers: tuple[Marker, ...] = ()
        self._marker_artists: list = []

    # --- markers ---------------------------------------------------------
    def set_markers(self, markers: tuple[Marker, ...]) -> None:
        """Days that matter; only those inside the x-axis are drawn (they appear as it grows)."""
        shown = tuple(m for m in markers if 0 <= m.day <= self._xmax)
        if shown == self._markers:
            return
        for artist in self._marker_artists:
            artist.remove()
        self._marker_artists = []
        self._markers = shown
        for i, ax in enumerate(self.axes):
            trans = ax.get_xaxis_transform()  # x in days, y in axes fraction
            audits = [m for m in shown if m.kind == "audit"]
            for colour in sorted({m.colour for m in audits}):
                xs = [m.day for m in audits if m.colour == colour]
                (art,) = ax.plot(
                    xs,
                    [0.985] * len(xs),
                    ls="",
                    marker="v",
                    markersize=9,
                    color=colour,
                    transform=trans,
                    clip_on=False,
                    zorder=4,
                )
                self._marker_artists.append(art)
            lines = [m for m in shown if m.kind == "line"]
            for j, m in enumerate(lines):
                self._marker_artists.append(ax.axvline(m.day, color=m.colour, lw=1.5, ls=(0, (4, 2)), zorder=1))
                if i in (0, 2):  # labelled in the two left panels (their lines rarely reach the top)
                    y = 0.93 - 0.11 * (j % 4)
                    right = m.day > 0.72 * self._xmax  # near the right edge: label to the left of the line
                    text = ax.text(
                        m.day,
                        y,
                        f"{m.label} " if right else f" {m.label}",
                        transform=trans,
                        fontsize=FONT,
                        color=m.colour,
                        ha="right" if right else "left",
                        va="top",
                        zorder=5,
                        bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.75, "pad": 1},
                    )
                    self._marker_artists.append(text)
        self.invalidate()

    # --- data ------------------------------------------------------------
    def update(self, datas: list[dict[str, np.ndarray]], markers: tuple[Marker, ...] = ()) -> None:
        today = max((float(d["day"][-1]) for d in datas if len(d["day"])), default=0.0)
        xmax = x_limit(today, self.days)
        if xmax != self._xmax:
            self._xmax = xmax
            for ax in self.axes:
                ax.set_xlim(0, xmax)
            self.invalidate()
        for r, data in enumerate(datas):
            for key in SERIES:
                self.lines[r, key].set_data(data["day"], data[key])
        top = posts_ceiling(datas)
        if top != self._posts_top:
            self._posts_top = top
            self.axes[1].set_ylim(0, top)
            self.invalidate()
        self.set_markers(markers)
        for line in self.today:
            line.set_xdata([today, today])

    def render(self, datas: list[dict[str, np.ndarray]], markers: tuple[Marker, ...] = (), palette=True) -> bytes:
        with self.lock:
            self.update(datas, markers)
            return self.png(palette)


def posts_ceiling(datas: list[dict[str, np.ndarray]]) -> float:
    """y limit of the posts panel, over every run on it."""
    top = 0.0
    for d in datas:
        for key in ("posts_substantive", "posts_filler", "replies"):
            if len(d.get(key, ())):
                top = max(top, float(np.nanmax(d[key])))
    return nice_ceiling(top)


LEGEND = (
    ("o", net.EXCLUDED, "#ffffff", "grey: offline"),
    ("o", net.SILENT, "#ffffff", "light blue: online, silent"),
    ("o", net.ACTIVE, "#ffffff", "dark blue: online, active"),
    ("o", "#ffffff", net.WAITING, "orange ring: waiting"),
    ("o", "#ffffff", net.SERVED, "green ring: served"),
    ("D", net.LEADER, "#333333", "pink: leader relaying"),
    ("s", net.NO_ACCOUNT, "#333333", "white: no account"),
    ("s", net.ACCOUNT, "#333333", "blue: account"),
    ("s", net.GHOST, "#333333", "yellow: ghost account"),
)
ROWS = (
    ("province\nagencies", net.ROW_Y["province"]),
    ("city\nagencies", net.ROW_Y["city"]),
    ("opinion\nleaders", net.ROW_Y["leaders"]),
    ("district\nagencies", net.ROW_Y["district"]),
    ("citizens\n(sample)", net.ROW_Y["citizens"]),
)


class NetworkFigure(LiveFigure):
    """The network picture of one run; fixed layout, colours and ties updated each frame."""

    def __init__(self, model: GovSimModel, title: str, colour: str, size_px: tuple[int, int] = NETWORK_SIZE) -> None:
        super().__init__(size_px)
        fig = self.fig
        self.layout = layout = net.build_layout(model)
        ax = fig.add_axes((0.17, 0.27, 0.82, 0.64))
        ax.set_axis_off()
        ax.set_xlim(-0.8, layout.width + 0.3)
        bottom = min(net.ROW_Y["citizens"], layout.citizen_xy[:, 1].min(initial=net.ROW_Y["citizens"])) - 0.35
        ax.set_ylim(bottom, net.ROW_Y["province"] + 0.4)
        self.ties = {
            "social": LineCollection([], colors="#bbbbbb", linewidths=0.8, linestyles=":", zorder=1),
            "watch": LineCollection([], colors=net.LEADER, linewidths=0.6, alpha=0.35, zorder=1),
            "leader": LineCollection([], colors=net.LEADER, linewidths=0.7, alpha=0.45, zorder=1),
            "follow": LineCollection([], colors="#0072B2", linewidths=0.6, alpha=0.25, zorder=1),
        }
        for coll in self.ties.values():
            ax.add_collection(coll)
        xy = layout.citizen_xy
        self.citizens = ax.scatter(xy[:, 0], xy[:, 1], s=80, linewidths=1.0, zorder=3)
        xy = layout.agency_xy
        self.agencies = ax.scatter(xy[:, 0], xy[:, 1], s=80, marker="s", edgecolors="#333333", zorder=3)
        xy = layout.leader_xy
        self.leaders = ax.scatter(xy[:, 0], xy[:, 1], marker="D", edgecolors="#333333", zorder=3)
        trans = ax.get_yaxis_transform()  # x in axes fraction, y in data: each label centred on its row
        for text, y in ROWS:
            ax.text(
                -0.01,
                y,
                text,
                transform=trans,
                fontsize=FONT,
                color="#444444",
                ha="right",
                va="center",
                linespacing=0.95,
            )
        handles = [
            Line2D(
                [],
                [],
                ls="",
                marker=m,
                markersize=10,
                markerfacecolor=f,
                markeredgecolor=e,
                markeredgewidth={net.WAITING: 2.6, net.SERVED: 1.6}.get(e, 1.0),
                label=label,
            )
            for m, f, e, label in LEGEND
        ]
        fig.legend(
            handles=handles,
            loc="lower center",
            ncol=2,
            fontsize=FONT,
            frameon=False,
            columnspacing=0.8,
            handletextpad=0.2,
            labelspacing=0.35,
        )
        fig.suptitle(title, fontsize=TITLE_FONT, fontweight="bold", y=0.985, color=colour)
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
