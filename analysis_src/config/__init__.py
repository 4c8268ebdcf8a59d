"""The project's rules and numbers as data, each validated when it loads.

``protocol.yml`` (read by :mod:`analysis_src.config.protocol`) holds every threshold the
protocol or the report fixes; the data dictionary, category rules, unit costs, logic
model and ledger keys are read by the modules that use them.
"""
