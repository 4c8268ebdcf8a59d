"""Analysis package for the devolved budgets evaluation report.

Data flow: data folder -> :mod:`analysis_src.contracts` (validated tables) ->
analysis functions -> parameterised chapter notebooks -> the book.
"""

__version__ = "0.1.0"
