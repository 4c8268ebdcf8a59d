"""The project's rules and numbers as data: data dictionary, category rules, unit costs, logic model, ledger keys."""
