"""French plurals and the article after « de » / « à »: one helper each, used by every
screen and email."""

from django.template import Context, Template

from levee.lib.text import of_name, plural_fr, the_name, to_name


def test_zero_and_one_take_the_singular():
    assert plural_fr(0, "demande traitée") == "0 demande traitée"
    assert plural_fr(1, "levée") == "1 levée"
    assert plural_fr(2, "demande traitée") == "2 demandes traitées"
    assert plural_fr(3, "jour") == "3 jours"
    assert plural_fr(2, "bac neuf", "bacs neufs") == "2 bacs neufs"
    assert plural_fr(5, "prix") == "5 prix"


def test_the_template_filter_reads_the_same():
    template = Template('{% load levee_format %}{{ n|plural_fr:"demande traitée" }}')
    assert template.render(Context({"n": 0})) == "0 demande traitée"
    assert template.render(Context({"n": 12})) == "12 demandes traitées"
    irregular = Template('{% load levee_format %}{{ n|plural_fr:"bac neuf|bacs neufs" }}')
    assert irregular.render(Context({"n": 2})) == "2 bacs neufs"


def test_an_authority_name_after_de_takes_its_article_or_elision():
    assert (
        of_name("Communauté de Communes de Flandre Intérieure")
        == "de la Communauté de Communes de Flandre Intérieure"
    )
    assert of_name("Syndicat mixte du Pilat") == "du Syndicat mixte du Pilat"
    assert of_name("SICTOM du Val de Saône") == "du SICTOM du Val de Saône"
    assert of_name("CCFI") == "de la CCFI"
    assert of_name("Métropole de Lyon") == "de la Métropole de Lyon"
    assert of_name("Annemasse Agglo") == "d'Annemasse Agglo"
    assert of_name("Le Grand Chambéry") == "du Grand Chambéry"
    assert of_name("La Communauté urbaine") == "de la Communauté urbaine"
    assert of_name("Lille") == "de Lille"
    assert of_name("") == ""


def test_an_authority_name_after_a_takes_the_same_contraction():
    assert (
        to_name("Communauté de Communes du Pilat Rhodanien")
        == "à la Communauté de Communes du Pilat Rhodanien"
    )
    assert to_name("Syndicat mixte du Pilat") == "au Syndicat mixte du Pilat"
    assert to_name("Annemasse Agglo") == "à Annemasse Agglo"
    assert to_name("Lille") == "à Lille"


def test_an_authority_name_as_a_subject_takes_its_article():
    assert the_name("Communauté de Communes du Pilat") == "la Communauté de Communes du Pilat"
    assert the_name("Syndicat mixte du Pilat") == "le Syndicat mixte du Pilat"
    assert the_name("Annemasse Agglo") == "Annemasse Agglo"
    assert the_name("Le Grand Chambéry") == "le Grand Chambéry"
    assert the_name("Lille") == "Lille"
