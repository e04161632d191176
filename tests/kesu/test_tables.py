"""The one table layer: CSV (UTF-8, BOM, GB18030, UTF-16), .xlsx and Parquet by one rule set."""

from __future__ import annotations

import codecs
import datetime as dt

import numpy as np
import pytest

from kesu.tables import TableError
from kesu.tables import TableSource
from kesu.tables import csv_bytes
from kesu.tables import decode_text
from kesu.tables import parse_date
from kesu.tables import parse_number
from kesu.tables import read_table
from kesu.tables import write_csv

HEADER = ["编号", " town ", "psu", "weight", "score_total", "调查日期", "note"]
ROWS = [
    ["r001", "佛堂镇", 1, 1520.5, 72.5, dt.date(2025, 6, 3), "A,B"],
    ["r002", "fotang", 1, 1520.5, None, dt.date(2025, 6, 4), None],
    ["r003", "苏溪镇", 2, 980.25, 64, dt.date(2025, 6, 30), "第二行\n换行"],
    ["r004", "suxi", 2, 980.25, 0.1, dt.date(2025, 7, 1), "NA"],
]


@pytest.fixture
def files(tmp_path, realfiles):
    return realfiles.write_formats(
        tmp_path, "table", HEADER, ROWS, text_numbers=["psu", "score_total"]
    )


def test_every_format_gives_the_same_table(files):
    tables = {fmt: read_table(path) for fmt, path in files.items()}
    for fmt, t in tables.items():
        assert t.order == ("编号", "town", "psu", "weight", "score_total", "调查日期", "note"), fmt
        assert t.n_rows == 4, fmt
        assert t.labels("town").tolist() == ["佛堂镇", "fotang", "苏溪镇", "suxi"], fmt
        assert t.labels("psu").tolist() == ["1", "1", "2", "2"], fmt
        np.testing.assert_array_equal(t.numeric("weight"), [1520.5, 1520.5, 980.25, 980.25])
        np.testing.assert_array_equal(
            t.numeric("score_total", allow_missing=True), [72.5, np.nan, 64, 0.1]
        )
        assert t.labels("note").tolist() == ["A,B", "", "第二行\n换行", ""], fmt
        dates = [parse_date(d) for d in t.labels("调查日期")]
        assert dates == [r[5] for r in ROWS], fmt


def test_gb18030_is_detected_and_an_encoding_can_be_forced(files, tmp_path):
    assert read_table(files["gb18030"]).labels("town")[0] == "佛堂镇"
    # a GBK file read with the wrong explicit encoding says where it fails
    with pytest.raises(TableError, match=r"is not utf-8 text .*line 1"):
        read_table(files["gb18030"], encoding="utf-8")
    big5 = tmp_path / "big5.csv"
    big5.write_bytes("鎮,n\n臺北,1\n".encode("big5"))
    assert read_table(big5, encoding="big5").order == ("鎮", "n")
    with pytest.raises(TableError, match="unknown encoding"):
        read_table(big5, encoding="klingon")


def test_text_that_is_neither_utf8_nor_gb18030_is_refused_with_a_hint():
    data = b"a,b\n1,\x80\xff\n"
    with pytest.raises(TableError, match=r"neither UTF-8 nor GB18030.*line 2.*encoding"):
        read_table(data, name="odd.csv")
    assert decode_text("佛堂镇".encode("gbk"))[1] == "gb18030"


def test_utf16_tab_text_from_excel_unicode_text_export():
    data = codecs.BOM_UTF16_LE + "镇\t人数\r\n佛堂镇\t12\r\n".encode("utf-16-le")
    t = read_table(data, name="unicode.txt")
    assert t.order == ("镇", "人数") and t.numeric("人数").tolist() == [12.0]


def test_an_xlsx_is_read_as_a_workbook_not_as_text(files):
    data = files["xlsx"].read_bytes()
    t = read_table(data, name="upload.xlsx")  # an upload: bytes, no path
    assert t.labels("town")[0] == "佛堂镇"
    assert "[数据]" in t.source  # several sheets: messages name the sheet


def test_a_named_sheet_and_an_unknown_sheet(files):
    t = read_table(files["xlsx"], sheet="说明")
    assert t.order == ("本表由街道上报；数据在第二个工作表。",)
    with pytest.raises(TableError, match=r"has no sheet '汇总'.*'数据', '说明'"):
        read_table(files["xlsx"], sheet="汇总")
    with pytest.raises(TableError, match="no sheets"):
        read_table(files["utf8"], sheet="数据")


def test_old_xls_is_refused_with_a_hint():
    with pytest.raises(TableError, match=r"\.xls.*save it as \.xlsx"):
        read_table(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, name="old.xls")


@pytest.mark.parametrize("fmt", ["utf8", "xlsx"])
def test_duplicate_headers_name_both_columns(tmp_path, realfiles, fmt):
    paths = realfiles.write_formats(tmp_path, "dup", ["item_K1", "a", "item_K1"], [[1, 2, 3]])
    with pytest.raises(TableError, match=r"row 1.*columns A and C are both named 'item_K1'"):
        read_table(paths[fmt])


def test_headers_are_stripped_and_a_duplicate_after_stripping_is_caught():
    t = read_table("\ufeff town\u3000,\xa0psu \n佛堂镇,1\n".encode(), name="x.csv")
    assert t.order == ("town", "psu")
    with pytest.raises(TableError, match="both named 'town'"):
        read_table(b"town,town \n1,2\n", name="x.csv")


def test_blank_header_columns_empty_are_dropped_with_data_are_an_error():
    t = read_table(b"a,b,,\r\n1,2,,\r\n3,4,,\r\n", name="x.csv")
    assert t.order == ("a", "b")
    with pytest.raises(TableError, match="column C has data but no name"):
        read_table(b"a,b,\n1,2,x\n", name="x.csv")


def test_rows_of_another_width_name_the_row():
    with pytest.raises(TableError, match=r"x\.csv: row 4: has 3 cells, the header has 2"):
        read_table(b"a,b\n1,2\n3,4\n5,6,7\n", name="x.csv")
    with pytest.raises(TableError, match=r"row 3: has 1 cells"):
        read_table(b'a,b\n"x\ny",2\n3\n', name="x.csv")


def test_empty_rows_are_skipped_but_rows_keep_their_spreadsheet_numbers():
    t = read_table(b"a,b\n1,2\n,\n\n2,y\n", name="x.csv")
    assert t.n_rows == 2 and t.row_number(1) == 5
    with pytest.raises(TableError, match=r"row 5, column 'b': 'y' is not a number"):
        t.numeric("b")


def test_trailing_empty_rows_and_columns_of_a_workbook_are_ignored(files):
    t = read_table(files["xlsx"])
    assert t.n_rows == 4 and len(t.order) == 7


def test_missing_cells_and_the_number_rule():
    data = 'x\n1\n NA \n\n#N/A\nnan\n１２\n"1,234.5"\nTRUE\n-1e-3\n'.encode()
    t = read_table(data, name="n.csv")
    values = t.numeric("x", allow_missing=True)
    np.testing.assert_array_equal(values, [1, np.nan, np.nan, np.nan, 12, 1234.5, 1, -0.001])
    with pytest.raises(TableError, match=r"n\.csv: row 3, column 'x': missing value"):
        t.numeric("x")


@pytest.mark.parametrize("cell", ["12岁", "#DIV/0!", "inf", "1_000", "1,23", "--1"])
def test_cells_that_are_not_numbers_name_file_row_and_column(cell):
    t = read_table(f'age,x\n30,a\n"{cell}",b\n'.encode(), name="people.csv")
    with pytest.raises(TableError, match=r"people\.csv: row 3, column 'age': .* is not a number"):
        t.numeric("age", key="estimates[0].mean")


def test_parse_number_and_date_rules():
    assert parse_number("2E3") == 2000.0 and parse_number("．５") == 0.5
    with pytest.raises(ValueError):
        parse_number("1.5.2")
    assert parse_date("2024-06-30 00:00:00") == dt.date(2024, 6, 30)
    with pytest.raises(ValueError):
        parse_date("30/06/2024")
    with pytest.raises(ValueError):
        parse_date("2024-02-30")


def test_a_missing_column_lists_the_columns_and_the_key_that_asked():
    t = read_table(b"town,psu\nfotang,1\n", name="d.csv")
    with pytest.raises(
        TableError, match=r"no column 'stratum' \(needed by design\.strata\).*town, psu"
    ):
        t.column("stratum", key="design.strata")
    with pytest.raises(TableError, match=r"columns 'a', 'b' are missing"):
        t.require(["town", "a", "b"])


def test_parquet_typed_columns_agree_with_csv_labels(files):
    t = read_table(files["parquet"])
    assert t.columns["psu"].dtype.kind in "fi"
    assert t.labels("psu").tolist() == ["1", "1", "2", "2"]


def test_take_keeps_row_numbers():
    t = read_table(b"a,b\n1,x\n2,y\n3,z\n", name="t.csv").take(np.array([False, True, True]))
    assert t.labels("b").tolist() == ["y", "z"] and t.row_number(1) == 4


def test_source_from_a_job_value(tmp_path):
    s = TableSource.from_config({"file": "d.xlsx", "sheet": "数据"}, tmp_path, "data")
    assert s.path == tmp_path / "d.xlsx" and s.sheet == "数据"
    with pytest.raises(TableError, match="unknown key data.sheeet"):
        TableSource.from_config({"file": "d.xlsx", "sheeet": "x"}, tmp_path, "data")
    with pytest.raises(TableError, match="unknown encoding"):
        TableSource.from_config({"file": "d.csv", "encoding": "gbkk"}, tmp_path, "data")


def test_written_csvs_have_a_bom_and_read_back(tmp_path, capsys):
    out = tmp_path / "o.csv"
    write_csv(out, ["镇", "w"], [["佛堂镇", 0.1], ["suxi", None], ["x", 2.0]])
    raw = out.read_bytes()
    assert raw.startswith(codecs.BOM_UTF8) and "佛堂镇,0.1\r\n".encode() in raw
    t = read_table(out)
    assert t.numeric("w", allow_missing=True).tolist()[::2] == [0.1, 2.0]
    assert csv_bytes(["a"], [[1]]).startswith(codecs.BOM_UTF8)
    write_csv("-", ["a"], [[1]])
    assert capsys.readouterr().out == "a\r\n1\r\n"  # standard output: no BOM
