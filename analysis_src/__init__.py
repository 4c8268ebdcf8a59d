"""Analysis package for the devolved budgets evaluation report.

Data flow: data folder -> :mod:`analysis_src.inputs` (validated tables) ->
:mod:`analysis_src.analysis` -> :mod:`analysis_src.report` (parameterised
notebooks, pages) -> :mod:`analysis_src.pipeline` (the build). Importing the
package has no side effects.
"""

__version__ = "0.1.0"
