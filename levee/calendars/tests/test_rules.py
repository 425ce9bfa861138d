"""The expansion of a rule into dates: weekly, every other week, nth weekday, validity,
holidays under each policy, exceptions. Pure functions: no database."""

import datetime

from hypothesis import given
from hypothesis import strategies as st

from levee.calendars.public_holidays import public_holidays
from levee.calendars.rules import (
    Change,
    ChangeKind,
    HolidayPolicy,
    Rule,
    RuleKind,
    collection_dates,
    holiday_shift,
    nominal_dates,
    nth_weekday,
    occurrences,
    reference_for_parity,
)

D = datetime.date
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
NO_HOLIDAYS: dict = {}
HOLIDAYS_2025 = public_holidays("59", D(2025, 1, 1), D(2025, 12, 31))
START = D(2024, 1, 1)


def weekly(weekday, start=START, until=None):
    return Rule(RuleKind.WEEKLY, weekday, start, until)


def biweekly(weekday, reference, start=START, until=None):
    return Rule(RuleKind.BIWEEKLY, weekday, start, until, reference=reference)


def monthly(weekday, ordinal, start=START, until=None):
    return Rule(RuleKind.MONTHLY, weekday, start, until, ordinal=ordinal)


def dates(rule, start, end, policy=HolidayPolicy.NEXT_DAY, holidays=NO_HOLIDAYS, changes=None):
    return collection_dates(rule, start, end, holidays=holidays, policy=policy, changes=changes)


def test_every_tuesday_gives_the_tuesdays_of_the_range():
    assert dates(weekly(TUE), D(2025, 3, 1), D(2025, 3, 31)) == [
        D(2025, 3, 4),
        D(2025, 3, 11),
        D(2025, 3, 18),
        D(2025, 3, 25),
    ]


def test_every_other_thursday_counts_two_weeks_from_the_reference():
    found = dates(biweekly(THU, D(2025, 1, 9)), D(2025, 3, 1), D(2025, 4, 30))
    assert found == [D(2025, 3, 6), D(2025, 3, 20), D(2025, 4, 3), D(2025, 4, 17)]


def test_a_reference_before_the_range_or_after_it_gives_the_same_weeks():
    later = dates(biweekly(THU, D(2031, 6, 19)), D(2025, 3, 1), D(2025, 4, 30))
    assert later == dates(biweekly(THU, D(2025, 1, 9)), D(2025, 3, 1), D(2025, 4, 30))


def test_the_other_reference_weeks_are_the_other_thursdays():
    even = dates(biweekly(THU, D(2025, 1, 9)), D(2025, 1, 1), D(2025, 12, 31))
    odd = dates(biweekly(THU, D(2025, 1, 2)), D(2025, 1, 1), D(2025, 12, 31))
    weekly_thursdays = dates(weekly(THU), D(2025, 1, 1), D(2025, 12, 31))
    assert sorted(even + odd) == weekly_thursdays and not set(even) & set(odd)


def test_a_53_week_year_ends_without_two_collections_a_week_apart():
    # 2026 has an ISO week 53: its Thursday (31/12) is odd, and so is that of week 1 of 2027.
    found = dates(biweekly(THU, D(2026, 1, 1)), D(2026, 12, 20), D(2027, 1, 31))
    assert found == [D(2026, 12, 31), D(2027, 1, 14), D(2027, 1, 28)]


def test_the_reference_for_a_parity_keeps_that_parity_all_year():
    for weekday in range(7):
        for even in (True, False):
            reference = reference_for_parity(weekday, even, 2026)
            assert reference.weekday() == weekday and reference.year in (2025, 2026)
            found = list(
                nominal_dates(biweekly(weekday, reference), D(2026, 1, 1), D(2026, 12, 31))
            )
            iso_weeks = [
                d
                for d in nominal_dates(weekly(weekday), D(2026, 1, 1), D(2026, 12, 31))
                if d.isocalendar().week % 2 == (0 if even else 1)
            ]
            assert found == iso_weeks


def test_first_monday_of_the_month():
    found = dates(monthly(MON, 1), D(2025, 1, 1), D(2025, 6, 30))
    assert found == [
        D(2025, 1, 6),
        D(2025, 2, 3),
        D(2025, 3, 3),
        D(2025, 4, 7),
        D(2025, 5, 5),
        D(2025, 6, 2),
    ]


def test_last_friday_and_fourth_wednesday_of_the_month():
    assert dates(monthly(FRI, -1), D(2025, 1, 1), D(2025, 3, 31)) == [
        D(2025, 1, 31),
        D(2025, 2, 28),
        D(2025, 3, 28),
    ]
    assert nth_weekday(2025, 10, WED, 4) == D(2025, 10, 22)


def test_the_validity_window_bounds_the_dates_both_ends_included():
    rule = weekly(TUE, start=D(2025, 3, 11), until=D(2025, 3, 25))
    assert dates(rule, D(2025, 1, 1), D(2025, 12, 31)) == [
        D(2025, 3, 11),
        D(2025, 3, 18),
        D(2025, 3, 25),
    ]


def test_a_window_without_the_weekday_gives_no_date():
    rule = weekly(TUE, start=D(2025, 3, 12), until=D(2025, 3, 17))
    assert dates(rule, D(2025, 1, 1), D(2025, 12, 31)) == []


def test_a_holiday_moves_the_collection_to_the_next_day():
    # Thursday 01/05/2025 is the Fête du Travail.
    found = dates(weekly(THU), D(2025, 4, 28), D(2025, 5, 4), holidays=HOLIDAYS_2025)
    assert found == [D(2025, 5, 2)]


def test_a_holiday_moves_the_collection_to_the_previous_day():
    found = dates(
        weekly(THU),
        D(2025, 4, 28),
        D(2025, 5, 4),
        policy=HolidayPolicy.PREVIOUS_DAY,
        holidays=HOLIDAYS_2025,
    )
    assert found == [D(2025, 4, 30)]


def test_a_holiday_cancels_the_collection_when_the_authority_says_so():
    found = occurrences(
        weekly(THU),
        D(2025, 4, 28),
        D(2025, 5, 4),
        holidays=HOLIDAYS_2025,
        policy=HolidayPolicy.CANCELLED,
    )
    assert len(found) == 1 and found[0].cancelled and found[0].reason == "Fête du Travail"
    assert (
        dates(weekly(THU), D(2025, 4, 28), D(2025, 5, 4), HolidayPolicy.CANCELLED, HOLIDAYS_2025)
        == []
    )


def test_the_shift_skips_sundays_and_chained_holidays():
    holidays = {D(2025, 12, 25): "Noël", D(2025, 12, 26): "Saint-Étienne"}
    # Thursday 25 → Friday 26 is a holiday too → Saturday 27.
    assert holiday_shift(D(2025, 12, 25), holidays, HolidayPolicy.NEXT_DAY) == D(2025, 12, 27)
    # Saturday 01/11/2025 (Toussaint) → the next day is a Sunday → Monday 3.
    assert holiday_shift(D(2025, 11, 1), HOLIDAYS_2025, HolidayPolicy.NEXT_DAY) == D(2025, 11, 3)
    # Monday 21/04/2025 (Lundi de Pâques), the day before → Sunday skipped → Saturday 19.
    assert holiday_shift(D(2025, 4, 21), HOLIDAYS_2025, HolidayPolicy.PREVIOUS_DAY) == D(
        2025, 4, 19
    )


def test_a_shift_into_the_range_from_outside_is_found():
    # Monday 21/04/2025 moves to Tuesday 22: a range starting on the 22nd holds it.
    found = dates(weekly(MON), D(2025, 4, 22), D(2025, 4, 27), holidays=HOLIDAYS_2025)
    assert found == [D(2025, 4, 22)]


def test_alsace_moselle_has_its_own_holidays():
    moselle = public_holidays("57", D(2025, 1, 1), D(2025, 12, 31))
    assert moselle[D(2025, 12, 26)] == "Saint-Étienne" and D(2025, 12, 26) not in HOLIDAYS_2025


def test_an_exception_cancels_one_collection():
    changes = {D(2025, 3, 11): Change(ChangeKind.CANCELLED, reason="Braderie")}
    found = occurrences(
        weekly(TUE),
        D(2025, 3, 1),
        D(2025, 3, 20),
        holidays=NO_HOLIDAYS,
        policy=HolidayPolicy.NEXT_DAY,
        changes=changes,
    )
    assert [(o.nominal, o.date, o.reason) for o in found] == [
        (D(2025, 3, 4), D(2025, 3, 4), ""),
        (D(2025, 3, 11), None, "Braderie"),
        (D(2025, 3, 18), D(2025, 3, 18), ""),
    ]


def test_an_exception_moves_one_collection_and_wins_over_the_holiday_policy():
    changes = {D(2025, 5, 1): Change(ChangeKind.MOVED, D(2025, 5, 3), "Rattrapage le samedi")}
    found = dates(
        weekly(THU), D(2025, 4, 28), D(2025, 5, 4), holidays=HOLIDAYS_2025, changes=changes
    )
    assert found == [D(2025, 5, 3)]


def test_a_collection_moved_into_the_range_from_far_away_is_found():
    changes = {D(2025, 3, 4): Change(ChangeKind.MOVED, D(2025, 3, 28))}
    found = dates(weekly(TUE), D(2025, 3, 26), D(2025, 3, 31), changes=changes)
    assert found == [D(2025, 3, 28)]
    # An exception on a day the rule does not give changes nothing.
    stray = {D(2025, 3, 5): Change(ChangeKind.MOVED, D(2025, 3, 28))}
    assert dates(weekly(TUE), D(2025, 3, 26), D(2025, 3, 31), changes=stray) == []


def test_the_rules_read_in_french():
    assert weekly(TUE).describe() == "Tous les mardis"
    assert biweekly(THU, D(2026, 1, 8)).describe() == "Un jeudi sur deux (dont le 08/01/2026)"
    assert monthly(MON, 1).describe() == "Le premier lundi du mois"
    assert monthly(FRI, -1).describe() == "Le dernier vendredi du mois"


# --- Properties ------------------------------------------------------------------------

days = st.dates(min_value=D(2020, 1, 1), max_value=D(2032, 12, 31))
weekdays = st.integers(min_value=0, max_value=6)
rules = st.one_of(
    st.builds(weekly, weekdays, days),
    st.builds(biweekly, weekdays, days, days),
    st.builds(monthly, weekdays, st.sampled_from([1, 2, 3, 4, -1]), days),
)
policies = st.sampled_from(HolidayPolicy.values)


@given(rules, days, st.integers(min_value=0, max_value=400))
def test_nominal_dates_keep_to_the_rule(rule, start, length):
    end = start + datetime.timedelta(days=length)
    found = list(nominal_dates(rule, start, end))
    assert found == sorted(set(found))
    for day in found:
        assert start <= day <= end and day >= rule.valid_from and day.weekday() == rule.weekday
        if rule.kind == RuleKind.BIWEEKLY:
            monday = rule.reference - datetime.timedelta(days=rule.reference.weekday())
            assert (day - monday).days % 14 == rule.weekday
        if rule.kind == RuleKind.MONTHLY:
            if rule.ordinal == -1:
                assert (day + datetime.timedelta(days=7)).month != day.month
            else:
                assert (day.day - 1) // 7 + 1 == rule.ordinal
    gaps = {(b - a).days for a, b in zip(found, found[1:], strict=False)}
    if rule.kind == RuleKind.WEEKLY:
        assert gaps <= {7}
    if rule.kind == RuleKind.BIWEEKLY:
        assert gaps <= {14}
    if rule.kind == RuleKind.MONTHLY:
        months = [(d.year, d.month) for d in found]
        assert len(months) == len(set(months))


@given(rules, days, st.integers(min_value=1, max_value=300), st.integers(0, 300), policies)
def test_splitting_a_range_changes_nothing(rule, start, first, second, policy):
    middle = start + datetime.timedelta(days=first)
    end = middle + datetime.timedelta(days=second)
    holidays = public_holidays("59", start, end)
    whole = dates(rule, start, end, policy, holidays)
    split = dates(rule, start, middle - datetime.timedelta(days=1), policy, holidays) + dates(
        rule, middle, end, policy, holidays
    )
    assert whole == split


@given(rules, days, st.integers(min_value=0, max_value=400), policies)
def test_no_collection_falls_on_a_holiday(rule, start, length, policy):
    end = start + datetime.timedelta(days=length)
    holidays = public_holidays("59", start, end)
    found = occurrences(rule, start, end, holidays=holidays, policy=policy)
    for o in found:
        if o.date is not None:
            assert o.date not in holidays
            assert abs((o.date - o.nominal).days) <= 4
        else:
            assert policy == HolidayPolicy.CANCELLED and o.nominal in holidays
    # Only holidays change anything without exceptions.
    assert [o.nominal for o in found if not o.moved and not o.cancelled] == [
        d for d in nominal_dates(rule, start, end) if d not in holidays
    ]


def test_every_other_thursday_stays_fortnightly_across_a_53_week_year():
    # Bailleul's recyclables: every other Thursday, those of 2026's even weeks.
    found = dates(
        biweekly(THU, reference_for_parity(THU, True, 2026)), D(2026, 12, 1), D(2027, 2, 28)
    )
    gaps = {(b - a).days for a, b in zip(found, found[1:], strict=False)}
    assert gaps == {14}


@given(
    weekdays,
    days,
    days,
    st.sampled_from([HolidayPolicy.NEXT_DAY, HolidayPolicy.PREVIOUS_DAY]),
    st.sampled_from(["59", "57", "971"]),
)
def test_every_other_week_never_leaves_three_weeks_over_ten_years(
    weekday, start, reference, policy, department
):
    # Ten years of a fortnightly rule and of a department's holidays: two collections are
    # always two weeks apart, give or take a holiday's shift of a few days.
    end = start + datetime.timedelta(days=3653)
    holidays = public_holidays(department, start, end)
    rule = biweekly(weekday, reference, start=start)
    nominal = list(nominal_dates(rule, start, end))
    assert {(b - a).days for a, b in zip(nominal, nominal[1:], strict=False)} == {14}
    found = dates(rule, start, end, policy, holidays)
    assert len(found) >= len(nominal) - 1
    for a, b in zip(found, found[1:], strict=False):
        assert 14 - 4 <= (b - a).days <= 14 + 4, (a, b)


@given(weekdays, days, days, st.sampled_from(["59", "57"]))
def test_a_holiday_cancelling_one_collection_is_the_only_longer_gap(
    weekday, start, reference, department
):
    end = start + datetime.timedelta(days=3653)
    holidays = public_holidays(department, start, end)
    rule = biweekly(weekday, reference, start=start)
    found = dates(rule, start, end, HolidayPolicy.CANCELLED, holidays)
    for a, b in zip(found, found[1:], strict=False):
        skipped = [a + datetime.timedelta(days=d) for d in range(14, (b - a).days, 14)]
        assert (b - a).days % 14 == 0 and all(day in holidays for day in skipped), (a, b)
