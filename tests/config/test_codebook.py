"""The codebook: themes, codes and roles, validated when it loads."""

import pytest
import yaml

from analysis_src.config.codebook import CODEBOOK_PATH, CodebookError, current, load_codebook


def _altered(tmp_path, change):
    raw = yaml.safe_load(CODEBOOK_PATH.read_text(encoding="utf-8"))
    change(raw)
    path = tmp_path / "codebook.yml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


def test_the_codebook_holds_the_executive_summary_findings():
    book = current()
    assert {theme.published.finding for theme in book.themes.values()} == {1, 2, 3, 4, 5, 6, 8}
    assert book.code("use_caravan").spend_category == "other"
    assert {role.group for role in book.roles.values()} == set(book.groups)


def test_a_role_in_an_unknown_group_is_refused(tmp_path):
    path = _altered(tmp_path, lambda raw: raw["roles"]["parent"].update(group="neighbours"))
    with pytest.raises(CodebookError, match="role 'parent': unknown group 'neighbours'"):
        load_codebook(path)


def test_a_code_in_two_themes_is_refused(tmp_path):
    path = _altered(tmp_path, lambda raw: raw["themes"]["more_say"]["codes"].update(autonomy_valued="again"))
    with pytest.raises(CodebookError, match="autonomy_valued"):
        load_codebook(path)


def test_a_published_word_outside_the_bands_is_refused(tmp_path):
    path = _altered(tmp_path, lambda raw: raw["themes"]["autonomy"]["published"].update(word="loads"))
    with pytest.raises(CodebookError, match="themes.autonomy.published.word"):
        load_codebook(path)
