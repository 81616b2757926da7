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

    def issue_mandate(self, agencies: list) -> None:
        """Order the configured share of agencies to open accounts, top levels first."""
        share = self.model.cfg.policy.mandate.share
        n = int(round(share * len(agencies)))
        if n == 0:
            return
        # top-down: province before city before district, random inside a level
        tiebreak = self.model.rng.random(len(agencies))
        order = np.lexsort((tiebreak, [a.level for a in agencies]))
        for i in order[:n]:
            agencies[i].mandated = True

    def audit(self) -> None:
        """Count the period's metric per open account; raise pressure on failures (C3, C9)."""
        audit = self.model.cfg.policy.audit
        if audit.metric == "none":
            for agency in self.model.agency_list:
                agency.period_counts = dict.fromkeys(agency.period_counts, 0)
            return
        audited = [a for a in self.model.agency_list if a.has_account]
        passed = 0
        for agency in audited:
            ok = agency.period_counts[audit.metric] >= audit.quota
            passed += ok
            if ok:
                agency.pressure *= 1.0 - audit.pressure_decay
                if audit.metric != "posts":
                    # quality audits institutionalise dialogue: recognition raises motivation
                    agency.motivation += audit.quality_motivation_gain * (1.0 - agency.motivation)
            else:
                agency.pressure += audit.pressure_step
        for agency in self.model.agency_list:
            agency.period_counts = dict.fromkeys(agency.period_counts, 0)
        self.audits_held += 1
        self.last_pass_rate = passed / len(audited) if audited else float("nan")
