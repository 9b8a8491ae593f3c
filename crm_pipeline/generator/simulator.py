"""Simulation of leads (with versions), their follow-ups and customers' service records."""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass

from core.contract import Contract
from crm_pipeline.generator.dirty import dirty_follow_up, dirty_lead, dirty_service
from crm_pipeline.generator.options import ENTITIES, GeneratorOptions, Row, SortKey
from crm_pipeline.generator.presenter import Presenter
from crm_pipeline.generator.values import (
    Picker,
    account_id_for,
    name_variant,
    round_money,
    weighted_picker,
)
from crm_pipeline.generator.vocabulary import (
    AGENTS,
    AREA_CODES,
    BRAND_CHARS,
    CHANNELS_EARLY,
    CHANNELS_LATE,
    CITIES,
    DEFAULT_STAGE_BEHAVIOUR,
    EN_BRANDS,
    EN_CITIES,
    EN_GIVEN,
    EN_NOUNS,
    EN_SUFFIXES,
    FOLLOW_UP_NOTES,
    GIVEN_NAMES,
    HOUR_WEIGHTS,
    HOURS,
    INDUSTRY_WORDS,
    KA_TEAM,
    LOSS_REASONS_EARLY,
    LOSS_REASONS_LATE,
    MAIL_DOMAINS,
    MOBILE_PREFIXES,
    PRIORITIES_NORMAL,
    PRIORITIES_URGENT,
    REGION_TEAMS,
    REPEAT_BUSINESS_SHARE,
    REPS,
    REQUIREMENTS,
    SATISFACTION_COMPLAINT,
    SATISFACTION_NORMAL,
    SERVICE_NOTES,
    SERVICE_TYPES,
    SOURCES,
    STAGE_BEHAVIOUR,
    STAGE_NOTES,
    SURNAMES,
    TITLES,
    URGENCY,
)
from crm_pipeline.generator.writers import Spool


@dataclass
class Lead:
    """A lead's mutable state while it is simulated (canonical, unformatted values)."""

    index: int
    lead_id: str
    created_at: dt.datetime
    source: str
    account_name: str
    account_id: str | None
    contact_name: str
    contact_phone: str | None
    contact_email: str | None
    requirement: str
    budget: int
    currency: str | None
    owner: str
    team: str
    show_team: bool
    stage: str
    quality: float
    has_probability: bool
    has_amount: bool
    urgency: str | None
    industry: str | None
    region: str | None
    amount: int | None = None
    probability: int | None = None
    expected_close_date: dt.date | None = None
    closed_at: dt.datetime | None = None
    loss_reason: str | None = None
    decision_maker_reached: bool | None = None
    versions: int = 0
    follow_ups: int = 0
    services: int = 0


class Simulator:
    """Simulates leads, their follow-ups and customers' service records into a spool."""

    def __init__(self, contract: Contract, options: GeneratorOptions, spool: Spool) -> None:
        self.contract = contract
        self.options = options
        self.spool = spool
        self.present = Presenter(contract, options)
        self.columns = {e: contract.entity(e).column_names for e in ENTITIES}
        self.start = options.start
        self.end_dt = dt.datetime.combine(options.end, dt.time(23, 59))
        self.rows = dict.fromkeys(ENTITIES, 0)
        self.dirty = dict.fromkeys(ENTITIES, 0)
        self.customer_services = 0

        stage_enum = contract.enums["stage"]
        self.open_stages = [v.key for v in stage_enum.values if not v.terminal]
        terminals = [v for v in stage_enum.values if v.terminal]
        self.won = max(terminals, key=lambda v: v.probability or 0).key
        self.lost = min(terminals, key=lambda v: v.probability or 0).key
        self.stage_probability = {v.key: int(v.probability or 0) for v in stage_enum.values}
        self._check_contract()

        self.cities = Picker([c for c, _, _ in CITIES], [w for _, _, w in CITIES])
        self.city_region = {c: r for c, r, _ in CITIES}
        self.industry_words = Picker(
            [w for w, _, _ in INDUSTRY_WORDS], [n for _, _, n in INDUSTRY_WORDS]
        )
        self.industry_of = {w: i for w, i, _ in INDUSTRY_WORDS}
        self.sources = weighted_picker(SOURCES)
        self.urgencies = weighted_picker(URGENCY)
        self.channels_early = weighted_picker(CHANNELS_EARLY)
        self.channels_late = weighted_picker(CHANNELS_LATE)
        self.service_types = weighted_picker(SERVICE_TYPES)
        self.priorities_urgent = weighted_picker(PRIORITIES_URGENT)
        self.priorities_normal = weighted_picker(PRIORITIES_NORMAL)
        self.agents = Picker([a for a, _ in AGENTS], [w for _, w in AGENTS])
        self.team_reps: dict[str, list[tuple[str, float]]] = {}
        for name, team, skill in REPS:
            self.team_reps.setdefault(team, []).append((name, skill))

    def _check_contract(self) -> None:
        """Fail early if the contract lost an enumeration key the business model uses."""
        used = {
            "source": list(SOURCES),
            "channel": list(CHANNELS_EARLY),
            "service_type": list(SERVICE_TYPES),
            "priority": list(PRIORITIES_NORMAL),
            "urgency": list(URGENCY),
        }
        for enum_name, keys in used.items():
            known = self.contract.enums[enum_name].keys
            missing = [k for k in keys if k not in known]
            if missing:
                raise ValueError(f"contract enum {enum_name!r} lacks keys {missing}")
        if self.won == self.lost or not self.open_stages:
            raise ValueError("contract stage enum needs open stages and won/lost terminals")

    # ---- time helpers ---------------------------------------------------------------

    @staticmethod
    def _work_time(rng: random.Random, day: dt.date) -> dt.datetime:
        hour = rng.choices(HOURS, weights=HOUR_WEIGHTS)[0]
        return dt.datetime(day.year, day.month, day.day, hour, rng.randrange(60))

    def _days_after(self, rng: random.Random, t: dt.datetime, days: float) -> dt.datetime:
        """A business-like time about ``days`` after ``t`` (weekends mostly skipped)."""
        if days < 0.5:
            return t + dt.timedelta(minutes=rng.randint(30, 300))
        day = t.date() + dt.timedelta(days=max(1, round(days)))
        if day.weekday() >= 5 and rng.random() < 0.8:
            day += dt.timedelta(days=7 - day.weekday())
        return self._work_time(rng, day)

    @staticmethod
    def _minutes_after(rng: random.Random, t: dt.datetime, lo: int, hi: int) -> dt.datetime:
        return t + dt.timedelta(minutes=rng.randint(lo, hi))

    # ---- routing ----------------------------------------------------------------------

    def _emit(self, entity: str, when: dt.datetime, key: SortKey, row: Row) -> None:
        values = [row.pop(c, None) for c in self.columns[entity]]
        if row:
            raise ValueError(f"generator wrote {entity} columns not in the contract: {sorted(row)}")
        self.spool.add(entity, (when.date() - self.start).days, key, values)
        self.rows[entity] += 1

    # ---- leads ------------------------------------------------------------------------

    def lead_counts(self) -> list[int]:
        """Leads created per day: weekdays busier, a peak in the middle of the period."""
        days = (self.options.end - self.start).days + 1
        weights = []
        for d in range(days):
            day = self.start + dt.timedelta(days=d)
            weekday = (1.0, 1.1, 1.1, 1.05, 0.95, 0.35, 0.25)[day.weekday()]
            t = (d + 0.5) / days
            peak = 1.0 + 0.6 * math.exp(-(((t - 0.5) / 0.12) ** 2))
            weights.append(weekday * peak)
        total = sum(weights)
        exact = [self.options.leads * w / total for w in weights]
        counts = [int(x) for x in exact]
        short = self.options.leads - sum(counts)
        order = sorted(range(days), key=lambda d: (-(exact[d] - counts[d]), d))
        for d in order[:short]:
            counts[d] += 1
        return counts

    def _account_index(self, index: int) -> int:
        """Which company lead ``index`` comes from: its own, or an earlier lead's.

        About one lead in five is repeat business from a company an earlier lead (within
        the previous 3,000) already brought, so some customers buy again (repurchase
        rate, repeat buyers). Decided per lead from the seed alone, so the data streams.
        """
        k = index
        while k >= 20:
            pick = random.Random(f"{self.options.seed}/repeat/{k}")
            if pick.random() >= REPEAT_BUSINESS_SHARE:
                break
            k = pick.randrange(max(0, k - 3000), k)
        return k

    def _new_lead(self, rng: random.Random, index: int, day: dt.date) -> Lead:
        # the company's identity comes from its own stream, shared by its repeat leads
        arng = random.Random(f"{self.options.seed}/account/{self._account_index(index)}")
        r = arng.random()
        if r < 0.10:  # English company
            brand = arng.choice(EN_BRANDS)
            noun, industry = arng.choice(EN_NOUNS)
            account = f"{brand} {noun} {arng.choice(EN_SUFFIXES)}"
            city, region = arng.choice(EN_CITIES)
            domain = f"{brand.lower()}{noun.lower()}.com"
        else:
            city = self.cities.pick(arng)
            region = self.city_region[city]
            word = self.industry_words.pick(arng)
            industry = self.industry_of[word]
            (c1, p1), (c2, p2) = arng.sample(BRAND_CHARS, 2)
            brand = c1 + c2
            domain = f"{p1}{p2}.com.cn"
            form = arng.random()
            if r < 0.15:  # Latin abbreviation, e.g. ABC科技
                brand = "".join(chr(65 + arng.randrange(26)) for _ in range(3))
                domain = f"{brand.lower()}.com.cn"
                account = f"{brand}{word}"
            elif form < 0.80:
                account = f"{city}{brand}{word}有限公司"
            elif form < 0.90:
                account = f"{city}{brand}{word}股份有限公司"
            else:
                account = f"{brand}{word}（{city}）有限公司"
        source = self.sources.pick(rng)
        urgency = self.urgencies.pick(rng) if rng.random() < 0.85 else None

        budget = round_money(min(5e7, max(1e4, rng.lognormvariate(math.log(300_000), 0.95))))
        teams = REGION_TEAMS.get(region, ("华东一组",))
        team = rng.choice(teams)
        if budget >= 1_000_000 and rng.random() < 0.6:
            team = KA_TEAM
        owner, skill = rng.choice(self.team_reps[team])

        surname, surname_py = rng.choice(SURNAMES)
        given, given_py = rng.choice(GIVEN_NAMES)
        if r < 0.10 and rng.random() < 0.5:
            english = rng.choice(EN_GIVEN)
            contact = f"{english} {surname_py.capitalize()}"
            handle = f"{english.lower()}.{surname_py}"
        elif rng.random() < 0.1:
            contact = surname + rng.choice(TITLES)
            handle = f"{surname_py}{rng.randrange(1, 99)}"
        else:
            contact = surname + given
            handle = f"{given_py}.{surname_py}"
        email: str | None = None
        m = rng.random()
        if m < 0.35:
            email = f"{handle}@{domain}"
        elif m < 0.55:
            email = f"{handle.replace('.', '')}{rng.randrange(1, 999)}@{rng.choice(MAIL_DOMAINS)}"
        elif m < 0.70:
            email = f"{rng.randrange(10_000_000, 3_000_000_000)}@qq.com"
        phone = self._phone(rng) if rng.random() < 0.88 else None

        requirement = rng.choice(REQUIREMENTS).format(n=rng.choice((5, 10, 20, 30, 50, 100, 200)))
        urgency_factor = URGENCY[urgency][1] if urgency else 1.0
        quality = skill * SOURCES[source][1] * urgency_factor * rng.lognormvariate(0.0, 0.25)
        created = self._work_time(rng, day)
        lead = Lead(
            index=index,
            lead_id=f"OPP-{index + 1:08d}",
            created_at=created,
            source=source,
            account_name=account,
            account_id=account_id_for(account),
            contact_name=contact,
            contact_phone=phone,
            contact_email=email,
            requirement=requirement,
            budget=budget,
            currency="CNY" if rng.random() < 0.7 else None,
            owner=owner,
            team=team,
            show_team=rng.random() < 0.9,
            stage=self.open_stages[0],
            quality=quality,
            has_probability=rng.random() < 0.55,
            has_amount=rng.random() < 0.6,
            urgency=urgency,
            industry=industry if rng.random() < 0.9 else None,
            region=region if rng.random() < 0.9 else None,
        )
        # referrals and expo contacts are sometimes entered already contacted
        if source in ("referral", "expo") and len(self.open_stages) > 1 and rng.random() < 0.25:
            lead.stage = self.open_stages[1]
        if rng.random() < 0.7:
            lead.expected_close_date = created.date() + dt.timedelta(days=rng.randint(30, 120))
        if rng.random() < 0.8:
            lead.decision_maker_reached = False
        if lead.has_probability:
            lead.probability = self.stage_probability[lead.stage]
        return lead

    @staticmethod
    def _phone(rng: random.Random) -> str:
        if rng.random() < 0.12:
            area = rng.choice(AREA_CODES)
            digits = 8 if len(area) == 3 else rng.choice((7, 8))
            return f"{area}-{rng.randrange(2 * 10 ** (digits - 1), 10**digits)}"
        return f"{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**8):08d}"

    def simulate_lead(self, index: int, day: dt.date) -> None:
        """One lead's whole life from creation to the end of the period (or its close)."""
        seed = self.options.seed
        rng = random.Random(f"{seed}/lead/{index}")
        fmt = random.Random(rng.getrandbits(64))
        dirt = random.Random(rng.getrandbits(64))
        lead = self._new_lead(rng, index, day)
        t = lead.created_at
        self._version(lead, t, fmt, dirt)

        while lead.stage in self.open_stages:
            pos = self.open_stages.index(lead.stage)
            median, sigma, p_lost, p_stall = STAGE_BEHAVIOUR.get(
                lead.stage, DEFAULT_STAGE_BEHAVIOUR
            )
            dm_factor = 1.25 if lead.decision_maker_reached else 1.0
            p_lost = min(0.85, p_lost / (lead.quality * dm_factor))
            r = rng.random()
            outcome = "lost" if r < p_lost else "stall" if r < p_lost + p_stall else "advance"
            change = self._days_after(rng, t, rng.lognormvariate(math.log(median), sigma))

            if outcome == "stall":
                # a few more touches, then nobody follows up any more: the lead goes stale
                for _ in range(rng.randint(0, 2)):
                    t = self._days_after(rng, t, rng.lognormvariate(math.log(5), 0.5))
                    if t > self.end_dt:
                        return
                    t = self._follow_up(lead, t, None, rng, fmt, dirt)
                return

            # ordinary follow-ups while the lead sits in this stage
            while True:
                nxt = self._days_after(rng, t, rng.lognormvariate(math.log(3.5), 0.5))
                if nxt >= change or nxt > self.end_dt:
                    break
                t = self._follow_up(lead, nxt, None, rng, fmt, dirt)
                if rng.random() < 0.15:
                    t = self._minor_update(lead, t, rng, fmt, dirt)
            if change <= t:
                change = self._minutes_after(rng, t, 30, 240)
            if change > self.end_dt:
                return

            if outcome == "lost":
                new_stage = self.lost
                early = pos < 2
                lead.loss_reason = rng.choice(LOSS_REASONS_EARLY if early else LOSS_REASONS_LATE)
            else:
                step = 2 if rng.random() < 0.05 else 1
                nxt_pos = pos + step
                new_stage = (
                    self.open_stages[nxt_pos] if nxt_pos < len(self.open_stages) else self.won
                )
            version_at = self._minutes_after(rng, change, 5, 90)
            if version_at > self.end_dt:
                return
            if rng.random() < 0.92:
                self._follow_up(lead, change, new_stage, rng, fmt, dirt)
            self._enter_stage(lead, new_stage, change, rng)
            t = self._version(lead, version_at, fmt, dirt)

        if lead.stage == self.won:
            self._customer_services(lead, rng, fmt, dirt)

    def _enter_stage(self, lead: Lead, stage: str, when: dt.datetime, rng: random.Random) -> None:
        """Apply a stage change and the field updates that usually come with it."""
        lead.stage = stage
        pos = self.open_stages.index(stage) if stage in self.open_stages else None
        if stage == self.won:
            lead.closed_at = when
            lead.decision_maker_reached = rng.random() < 0.9 or bool(lead.decision_maker_reached)
            if rng.random() < 0.9:
                lead.amount = round_money(lead.budget * rng.uniform(0.75, 1.15))
            if lead.has_probability:
                lead.probability = 100
            return
        if stage == self.lost:
            lead.closed_at = when
            if lead.has_probability:
                lead.probability = 0
            return
        if lead.has_probability:
            base = self.stage_probability[stage]
            lead.probability = max(1, min(99, base + rng.randint(-10, 10)))
        reach = min(0.9, 0.45 * lead.quality)
        if pos is not None and pos >= 2 and not lead.decision_maker_reached:
            lead.decision_maker_reached = rng.random() < reach
        if pos is not None and pos >= 3 and lead.has_amount and lead.amount is None:
            lead.amount = round_money(lead.budget * rng.uniform(0.7, 1.3))
        if pos is not None and pos == len(self.open_stages) - 1 and rng.random() < 0.5:
            lead.expected_close_date = when.date() + dt.timedelta(days=rng.randint(7, 30))

    def _minor_update(
        self,
        lead: Lead,
        t: dt.datetime,
        rng: random.Random,
        fmt: random.Random,
        dirt: random.Random,
    ) -> dt.datetime:
        """A change without a stage move (probability, close date, phone): a new version."""
        when = self._minutes_after(rng, t, 5, 60)
        if when > self.end_dt:
            return t
        kind = rng.randrange(4)
        if kind == 0 and lead.has_probability and lead.probability is not None:
            lead.probability = max(1, min(99, lead.probability + rng.choice((-10, -5, 5, 10))))
        elif kind == 1 and lead.expected_close_date is not None:
            lead.expected_close_date += dt.timedelta(days=rng.randint(7, 30))
        elif kind == 2:
            lead.contact_phone = self._phone(rng)
        else:
            lead.decision_maker_reached = True
        return self._version(lead, when, fmt, dirt)

    def _version(
        self, lead: Lead, when: dt.datetime, fmt: random.Random, dirt: random.Random
    ) -> dt.datetime:
        """Write the lead's current state as a new version row (updated_at = ``when``)."""
        p = self.present
        row: Row = {
            "lead_id": lead.lead_id,
            "created_at": p.ts(fmt, lead.created_at),
            "updated_at": p.ts(fmt, when),
            "source": p.enum(fmt, "source", lead.source),
            "account_name": lead.account_name,
            "account_id": lead.account_id,
            "contact_name": lead.contact_name,
            "contact_phone": lead.contact_phone,
            "contact_email": lead.contact_email,
            "requirement": lead.requirement,
            "budget": p.money(fmt, lead.budget),
            "amount": None if lead.amount is None else p.money(fmt, lead.amount),
            "currency": lead.currency,
            "owner": lead.owner,
            "team": lead.team if lead.show_team else None,
            "stage": p.enum(fmt, "stage", lead.stage),
            "probability": None if lead.probability is None else str(lead.probability),
            "expected_close_date": (
                None if lead.expected_close_date is None else p.date(lead.expected_close_date)
            ),
            "closed_at": None if lead.closed_at is None else p.ts(fmt, lead.closed_at),
            "loss_reason": lead.loss_reason,
            "urgency": None if lead.urgency is None else p.enum(fmt, "urgency", lead.urgency),
            "decision_maker_reached": (
                None
                if lead.decision_maker_reached is None
                else p.boolean(lead.decision_maker_reached)
            ),
            "industry": lead.industry,
            "region": lead.region,
        }
        if self.options.dirty_rate > 0 and dirt.random() < self.options.dirty_rate:
            dirty_lead(row, lead, dirt, self.lost)
            self.dirty["leads"] += 1
        lead.versions += 1
        self._emit("leads", when, (when.isoformat(" "), 0, lead.index, lead.versions), row)
        return when

    def _follow_up(
        self,
        lead: Lead,
        when: dt.datetime,
        new_stage: str | None,
        rng: random.Random,
        fmt: random.Random,
        dirt: random.Random,
    ) -> dt.datetime:
        """One follow-up activity; ``new_stage`` set when it moved the lead's stage."""
        p = self.present
        lead.follow_ups += 1
        stage_for_channel = new_stage or lead.stage
        early = stage_for_channel in self.open_stages[:2]
        channel = (self.channels_early if early else self.channels_late).pick(rng)
        if new_stage is not None:
            note = STAGE_NOTES.get(new_stage, "阶段推进").format(
                req=lead.requirement, budget=lead.budget // 10_000, reason=lead.loss_reason
            )
            stage_after: str | None = p.enum(fmt, "stage", new_stage)
        else:
            note = rng.choice(FOLLOW_UP_NOTES)
            stage_after = p.enum(fmt, "stage", lead.stage) if rng.random() < 0.45 else None
        pii = rng.random()
        if pii < 0.08:
            note += f"，客户新手机号{self._phone(rng)}"
        elif pii < 0.11 and lead.contact_email:
            note += f"，资料发至{lead.contact_email}"
        terminal = new_stage in (self.won, self.lost)
        next_at = None
        if not terminal and rng.random() < 0.8:
            next_at = p.ts(fmt, self._days_after(rng, when, rng.uniform(1, 7)))
        owner = lead.owner
        if rng.random() < 0.08:
            owner = rng.choice(self.team_reps[lead.team])[0]
        updated = None
        if rng.random() < 0.5:
            stamp = self._minutes_after(rng, when, 0, 30)
            if stamp.date() == when.date() and stamp <= self.end_dt:
                updated = p.ts(fmt, stamp)
        row: Row = {
            "follow_up_id": f"FU-{lead.index + 1:08d}-{lead.follow_ups:03d}",
            "lead_id": lead.lead_id,
            "occurred_at": p.ts(fmt, when),
            "owner": owner,
            "channel": p.enum(fmt, "channel", channel),
            "stage_after": stage_after,
            "next_follow_up_at": next_at,
            "notes": note if rng.random() < 0.95 else None,
            "updated_at": updated,
        }
        if self.options.dirty_rate > 0 and dirt.random() < self.options.dirty_rate:
            dirty_follow_up(row, dirt)
            self.dirty["follow_ups"] += 1
        self._emit("follow_ups", when, (when.isoformat(" "), 0, lead.index, lead.follow_ups), row)
        return when

    # ---- service records --------------------------------------------------------------

    def _customer_services(
        self, lead: Lead, rng: random.Random, fmt: random.Random, dirt: random.Random
    ) -> None:
        """A won account becomes a customer: onboarding visit, then tickets until the end."""
        assert lead.closed_at is not None
        base = lead.amount or lead.budget
        t = lead.closed_at
        if rng.random() < 0.5:
            t = self._days_after(rng, t, rng.uniform(3, 14))
            if t > self.end_dt:
                return
            lead.services += 1
            self._service(
                (1, lead.index, lead.services),
                f"SR-{lead.index + 1:08d}-{lead.services:02d}",
                lead.account_name,
                lead.account_id,
                t,
                "return_visit",
                base,
                rng,
                fmt,
                dirt,
            )
        while True:
            t = self._days_after(rng, t, rng.expovariate(1 / 18))
            if t > self.end_dt:
                return
            kind = self.service_types.pick(rng)
            lead.services += 1
            self._service(
                (1, lead.index, lead.services),
                f"SR-{lead.index + 1:08d}-{lead.services:02d}",
                lead.account_name,
                lead.account_id,
                t,
                kind,
                base,
                rng,
                fmt,
                dirt,
            )
            if kind == "cancellation":
                return

    def simulate_legacy(self, index: int) -> int:
        """A customer from before the CRM's lead history: service records only, no lead."""
        rng = random.Random(f"{self.options.seed}/legacy/{index}")
        fmt = random.Random(rng.getrandbits(64))
        dirt = random.Random(rng.getrandbits(64))
        city = self.cities.pick(rng)
        word = self.industry_words.pick(rng)
        (c1, _), (c2, _) = rng.sample(BRAND_CHARS, 2)
        account = f"{city}{c1}{c2}{word}有限公司"
        account_id = account_id_for(account)
        base = round_money(rng.lognormvariate(math.log(400_000), 0.8))
        t = self._work_time(rng, self.start + dt.timedelta(days=rng.randint(0, 30)))
        written = 0
        while t <= self.end_dt:
            kind = self.service_types.pick(rng)
            if rng.random() < 0.08:
                kind = "renewal"
            written += 1
            self._service(
                (2, index, written),
                f"SR-L{index + 1:07d}-{written:02d}",
                account,
                account_id,
                t,
                kind,
                base,
                rng,
                fmt,
                dirt,
            )
            if kind == "cancellation":
                break
            t = self._days_after(rng, t, rng.expovariate(1 / 25))
        return written

    def _service(
        self,
        key: tuple[int, int, int],
        service_id: str,
        account: str,
        account_id: str | None,
        opened: dt.datetime,
        kind: str,
        base: int,
        rng: random.Random,
        fmt: random.Random,
        dirt: random.Random,
    ) -> None:
        p = self.present
        troubled = kind in ("complaint", "repair")
        priority = (self.priorities_urgent if troubled else self.priorities_normal).pick(rng)
        first = None
        if rng.random() < 0.93:
            scale = 10 if priority == "urgent" else 35
            first = self._minutes_after(rng, opened, 1, 5) + dt.timedelta(
                minutes=int(rng.lognormvariate(math.log(scale), 1.1))
            )
            if first > self.end_dt:
                first = None
        resolved = None
        if first is not None and rng.random() < 0.9:
            hours = rng.lognormvariate(math.log(30 if troubled else 6), 1.0)
            resolved = first + dt.timedelta(minutes=max(5, int(hours * 60)))
            if resolved > self.end_dt:
                resolved = None
        satisfaction = None
        if resolved is not None and rng.random() < 0.7:
            weights = SATISFACTION_COMPLAINT if kind == "complaint" else SATISFACTION_NORMAL
            satisfaction = str(rng.choices((1, 2, 3, 4, 5), weights=weights)[0])
        renewal = None
        if kind == "renewal":
            renewal = p.money(fmt, round_money(base * rng.uniform(0.1, 0.35)))
        note = rng.choice(SERVICE_NOTES.get(kind, ("其他事项",))) if rng.random() < 0.7 else None
        if note is not None and rng.random() < 0.1:
            note += f"，回电号码{self._phone(rng)}"
        row: Row = {
            "service_id": service_id,
            "account_name": name_variant(rng, account),
            "account_id": account_id,
            "opened_at": p.ts(fmt, opened),
            "type": p.enum(fmt, "service_type", kind),
            "priority": p.enum(fmt, "priority", priority) if rng.random() < 0.95 else None,
            "agent": self.agents.pick(rng),
            "first_response_at": None if first is None else p.ts(fmt, first),
            "resolved_at": None if resolved is None else p.ts(fmt, resolved),
            "satisfaction": satisfaction,
            "renewal_amount": renewal,
            "notes": note,
        }
        if self.options.dirty_rate > 0 and dirt.random() < self.options.dirty_rate:
            dirty_service(row, kind, dirt)
            self.dirty["service_records"] += 1
        if key[0] == 1:
            self.customer_services += 1
        self._emit("service_records", opened, (opened.isoformat(" "), *key), row)
