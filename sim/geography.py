"""Where citizens live and which agency is responsible for what.

One agency per sector at province and city level, and one per sector in each
district. Citizens are numbered district by district, so a district is a
contiguous block of ids (ties and follows stay local without lookups).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PROVINCE, CITY, DISTRICT = 0, 1, 2


@dataclass(frozen=True)
class Geography:
    n_citizens: int
    n_districts: int
    n_sectors: int

    @property
    def n_agencies(self) -> int:
        return self.n_sectors * (2 + self.n_districts)

    @property
    def district_size(self) -> np.ndarray:
        base, extra = divmod(self.n_citizens, self.n_districts)
        return np.array([base + (d < extra) for d in range(self.n_districts)], dtype=np.int64)

    @property
    def district_start(self) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(self.district_size)[:-1]]).astype(np.int64)

    def citizen_districts(self) -> np.ndarray:
        return np.repeat(np.arange(self.n_districts, dtype=np.int32), self.district_size)

    def agency_index(self, level: np.ndarray, sector: np.ndarray, district: np.ndarray) -> np.ndarray:
        """The agency of (level, sector) serving a citizen of `district`."""
        s = self.n_sectors
        local = 2 * s + district.astype(np.int32) * s + sector
        return np.where(level == DISTRICT, local, level * s + sector).astype(np.int32)

    def responsible(self) -> np.ndarray:
        """`agency_index` of every (level, sector, district): the table a need's agency is looked up in."""
        level = np.arange(3)[:, None, None]
        sector = np.arange(self.n_sectors)[None, :, None]
        district = np.arange(self.n_districts)[None, None, :]
        return self.agency_index(level, sector, district)

    def agency_table(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(level, sector, district) of every agency, in index order (district -1 above)."""
        s, d = self.n_sectors, self.n_districts
        level = np.r_[np.full(s, PROVINCE), np.full(s, CITY), np.full(s * d, DISTRICT)]
        sector = np.tile(np.arange(s), 2 + d)
        district = np.r_[np.full(2 * s, -1), np.repeat(np.arange(d), s)]
        return level, sector, district
