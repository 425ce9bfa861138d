import datetime

from levee.lib.templatetags.levee_format import day_fr


def test_a_date_reads_the_french_way_with_1er_for_the_first_of_the_month():
    assert day_fr(datetime.date(2024, 7, 1)) == "1er juillet 2024"
    assert day_fr(datetime.date(2024, 8, 25)) == "25 août 2024"
    assert day_fr(datetime.date(2023, 12, 2)) == "2 décembre 2023"
    assert day_fr(None) == ""
