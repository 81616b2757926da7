"""The overview figure of one run: engagement on top, equity below."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

PANELS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("Accounts (share of agencies)", (("account_share", "open accounts"), ("ghost_share", "ghost share of accounts"))),
    (
        "Posts and replies per 30 days",
        (("posts_substantive", "substantive"), ("posts_filler", "filler"), ("replies", "replies")),
    ),
    (
        "Dialogue and response",
        (
            ("dialogue_ratio", "replies / posts"),
            ("response_rate", "answered within 3 days"),
            ("answer_rate", "answered at all"),
        ),
    ),
    (
        "Citizens",
        (
            ("active_share", "connected active (30 days)"),
            ("mean_efficacy", "mean efficacy"),
            ("mean_trust", "mean trust"),
        ),
    ),
    ("Needs met (30-day share)", (("needs_met_connected", "connected"), ("needs_met_excluded", "excluded"))),
    ("Audit vs reality", (("audit_pass_rate", "audit pass rate"), ("real_engagement", "accounts resolving requests"))),
)


def overview_png(ts: pd.DataFrame, title: str) -> bytes:
    fig, axes = plt.subplots(2, 3, figsize=(15, 8), sharex=True)
    for ax, (panel, series) in zip(axes.ravel(), PANELS, strict=True):
        for column, label in series:
            ax.plot(ts["day"], ts[column], label=label, lw=1.5)
        ax.set_title(panel, fontsize=11)
        ax.legend(fontsize=8, loc="best")
        ax.grid(alpha=0.3)
    for ax in axes[1]:
        ax.set_xlabel("day")
    fig.suptitle(title, fontsize=13)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return buf.getvalue()
