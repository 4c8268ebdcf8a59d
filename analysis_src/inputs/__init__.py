"""Reading and validating the inputs: the manifest of pilots and the data tables, checked against the contract."""
