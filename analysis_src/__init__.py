"""Analysis package for the devolved budgets evaluation report.

Data flow: data folder -> :mod:`analysis_src.inputs.contracts` (validated tables) ->
analysis functions -> parameterised chapter notebooks -> the book.
"""

__version__ = "0.1.0"

import pandas as _pandas

# Tables in the book show their text in full: pandas would cut cells at 50 characters.
_pandas.set_option("display.max_colwidth", None)
