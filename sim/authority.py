"""The higher authority: sets the account mandate and audits on schedule.

Audits are Mesa events: they fire half a day after the last day of each audit
period, i.e. before the agencies act on the first day of the next period.
What the authority sees (the pass rate) is recorded next to what citizens get.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np
from mesa.time import Schedule

from sim.agency import METRIC_COLUMN

if TYPE_CHECKING:
    from sim.model import GovSimModel


class Authority(mesa.Agent):
    model: GovSimModel

    def __init__(self, model: GovSimModel) -> None:
        super().__init__(model)
        self.last_pass_rate = float("nan")
        self.audits_held = 0
        # scheduled even without a metric, so a metric switched on mid-run (a lever) audits from then on
        period = model.cfg.policy.audit.period_days
        model.schedule_recurring(self.audit, Schedule(interval=period, start=period + 0.5))

    def issue_mandate(self) -> None:
        """Order the configured share of agencies to open accounts, top levels first."""
        agencies = self.model.agencies
        n = int(round(self.model.cfg.policy.mandate.share * agencies.n))
        if n == 0:
            return
        # top-down: province before city before district, random inside a level
        tiebreak = self.model.rng.random(agencies.n)
        agencies.mandated[np.lexsort((tiebreak, agencies.level))[:n]] = True

    def audit(self) -> None:
        """Count the period's metric per open account; raise pressure on failures (C3, C9)."""
        audit = self.model.cfg.policy.audit
        ag = self.model.agencies
        if audit.metric != "none":
            audited = ag.has_account
            passed = audited & (ag.period_counts[METRIC_COLUMN[audit.metric]] >= audit.quota)
            failed = audited & ~passed
            ag.pressure[passed] *= 1.0 - audit.pressure_decay
            ag.pressure[failed] += audit.pressure_step
            if audit.metric != "posts":
                # quality audits institutionalise dialogue: recognition raises motivation
                ag.motivation[passed] += audit.quality_motivation_gain * (1.0 - ag.motivation[passed])
            self.audits_held += 1
            n = int(audited.sum())
            self.last_pass_rate = int(passed.sum()) / n if n else float("nan")
        ag.period_counts[:] = 0
